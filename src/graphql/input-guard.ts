// The GraphQL transport's guard against input no resolver can take (src/input-safety.ts): NUL,
// lone surrogates and nesting deeper than MAX_INPUT_DEPTH, in the variables and extensions of a
// request (before GraphQL coerces them, which recurses) and in the string literals and list or
// object literals of its document (GraphQL's lexer refuses a raw U+0000 or lone surrogate, but not
// the escapes "\u0000" or "\uD800\u0041"). Either answers 400 VALIDATION_ERROR naming the field.
import {
  type ASTNode,
  type ASTVisitFn,
  type ASTVisitor,
  GraphQLError,
  Kind,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import {
  displaySegment,
  findInputProblem,
  type InputProblem,
  MAX_INPUT_DEPTH,
  stringProblem,
  UnsafeInputError,
} from "../input-safety.js";
import { graphqlCode } from "../rest/surfaces.js";

export function useInputGuard(maxDepth = MAX_INPUT_DEPTH): Plugin {
  const literals = literalRule(maxDepth);
  return {
    onParams({ params, setResult }) {
      const problem =
        findInputProblem(params.variables, "variables", maxDepth) ??
        findInputProblem(params.extensions, "extensions", maxDepth) ??
        findInputProblem(params.operationName, "operationName", maxDepth);
      if (problem) setResult({ errors: [rejection(problem)] });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(literals);
    },
  };
}

function rejection(problem: InputProblem, nodes?: readonly ASTNode[]): GraphQLError {
  const error = new UnsafeInputError(problem);
  return new GraphQLError(error.message, {
    nodes,
    // `spec: false`: yoga would otherwise answer a document's validation errors with 200 to
    // application/json clients; a refused input is a 400 wherever it was found.
    extensions: {
      code: graphqlCode(error.code),
      issues: error.issues,
      http: { status: error.status, spec: false },
    },
  });
}

/** Reports the first offending literal of a document (graphql's visit is iterative: no recursion). */
function literalRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let depth = 0;
    let reported = false;
    const reject = (
      message: string,
      ...[node, , parent, path, ancestors]: Parameters<ASTVisitFn<ASTNode>>
    ) => {
      if (reported) return;
      reported = true;
      const chain = [...ancestors, ...(parent ? [parent] : []), node];
      context.reportError(rejection({ field: literalPath(chain, path), message }, [node]));
    };
    const enterNested: ASTVisitFn<ASTNode> = (...args) => {
      depth += 1;
      if (depth > maxDepth) reject(`is nested more than ${maxDepth} levels deep`, ...args);
    };
    const leaveNested = () => {
      depth -= 1;
    };
    return {
      ListValue: { enter: enterNested, leave: leaveNested },
      ObjectValue: { enter: enterNested, leave: leaveNested },
      StringValue(...args) {
        const message = stringProblem(args[0].value);
        if (message) reject(message, ...args);
      },
    };
  };
}

type Ancestor = ASTNode | readonly ASTNode[];

/**
 * `createEntity.input.attributes.tags.2`: fields (by alias), arguments, object fields and list
 * indexes from the root to the literal. `chain` holds the nodes and arrays from the document down,
 * and `path[i]` is the key of `chain[i + 1]` in `chain[i]`.
 */
function literalPath(chain: readonly Ancestor[], path: readonly (string | number)[]): string {
  const segments: string[] = [];
  chain.forEach((item, i) => {
    if (isArray(item)) {
      const owner = chain[i - 1];
      const index = path[i];
      if (owner && !isArray(owner) && owner.kind === Kind.LIST && typeof index === "number") {
        segments.push(String(index));
      }
      return;
    }
    switch (item.kind) {
      case Kind.FIELD:
        segments.push((item.alias ?? item.name).value);
        break;
      case Kind.ARGUMENT:
      case Kind.OBJECT_FIELD:
      case Kind.FRAGMENT_DEFINITION:
        segments.push(item.name.value);
        break;
      case Kind.DIRECTIVE:
        segments.push(`@${item.name.value}`);
        break;
      case Kind.VARIABLE_DEFINITION:
        segments.push(`$${item.variable.name.value}`);
        break;
    }
  });
  return segments.map(displaySegment).join(".") || "(document)";
}

function isArray(item: Ancestor): item is readonly ASTNode[] {
  return Array.isArray(item);
}
