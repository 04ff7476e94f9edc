// "Did you mean …" hints name fields, arguments, types and enum values of the schema; with
// introspection off they would reveal it to anyone, key or not (validation runs before
// authentication is checked). GraphQL Armor's block-field-suggestions removes the hints of
// validation errors of the form `Did you mean "x"?`. Two kinds slip past its pattern, and are
// removed here: enum values in a document (`Did you mean the enum value "X"?`, also a validation
// error) and values of variables, which graphql coerces at execution, not validation
// (`Field "nme" is not defined by type "CreateGroupInput". Did you mean "name"?`).
import { blockFieldSuggestionsPlugin } from "@escape.tech/graphql-armor-block-field-suggestions";
import { type ExecutionResult, GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

export function withoutSuggestion(error: GraphQLError): GraphQLError {
  if (!error.message.includes("Did you mean")) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, "").trim(), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
}

function resultWithoutSuggestions(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map(withoutSuggestion) };
}

/** Armor's plugin, and the hints it leaves (enum values, variables' values). */
export function useNoSuggestions(): Plugin[] {
  const remaining: Plugin = {
    onValidate() {
      return ({ valid, result, setResult }) => {
        if (!valid)
          setResult(
            result.map((error) => (error instanceof GraphQLError ? withoutSuggestion(error) : error)),
          );
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!isAsyncIterable(result)) setResult(resultWithoutSuggestions(result));
        },
      };
    },
  };
  return [blockFieldSuggestionsPlugin({ mask: "" }) as Plugin, remaining];
}
