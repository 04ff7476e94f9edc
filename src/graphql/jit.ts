// Operations run compiled by graphql-jit where it is safe to: one compiled function per schema,
// parsed document and operation, kept in WeakMaps on the schema and the document, so it lives
// exactly as long as the bounded document cache keeps the document (and the typed-schema cache
// the schema). Keyed by schema because one document runs against many: each organisation's typed
// schema (src/graphql/organization-schema.ts) has resolvers of its own modules, and a function
// compiled against one organisation's schema must never run for another. Two kinds of document run interpreted instead:
// - larger than JIT_MAX_DOCUMENT_CHARS: a compiled function weighs many times its document,
//   which the cache's byte budget does not count (a stream of unique large documents);
// - with a variable of a recursive input type (RecordFilter's and/or, the semantic filters):
//   graphql-jit's variable compiler recurses through such types without end and exhausts the
//   heap (zalando-incubator/graphql-jit#81, open; graphql-mesh disables JIT the same way).
// graphql-jit's errors carry `locations` but no AST nodes, and yoga rebuilds every error from its
// nodes (or source and positions) when it serialises the response, so their locations were lost;
// they are rebuilt here as graphql-js errors on the document's source (locatedErrors below).
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLInputObjectType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  Kind,
  type Source,
  type SourceLocation,
  type TypeNode,
} from "graphql";
import { type CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

export const JIT_MAX_DOCUMENT_CHARS = 8_000;

/** Input object types whose values can nest without end: on a cycle, or reaching one. */
export function recursiveInputTypes(schema: GraphQLSchema): Set<string> {
  const fieldsOf = (type: GraphQLInputObjectType) =>
    Object.values(type.getFields())
      .map((f) => getNamedType(f.type))
      .filter(isInputObjectType);
  const reachable = (from: GraphQLInputObjectType): Set<string> => {
    const seen = new Set<string>();
    const stack = fieldsOf(from);
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next.name)) continue;
      seen.add(next.name);
      stack.push(...fieldsOf(next));
    }
    return seen;
  };
  const inputs = Object.values(schema.getTypeMap()).filter(isInputObjectType);
  const reach = new Map(inputs.map((type) => [type.name, reachable(type)]));
  const cyclic = new Set(inputs.filter((type) => reach.get(type.name)!.has(type.name)).map((t) => t.name));
  return new Set(
    inputs
      .filter((type) => cyclic.has(type.name) || [...reach.get(type.name)!].some((name) => cyclic.has(name)))
      .map((type) => type.name),
  );
}

function namedType(node: TypeNode): string {
  return node.kind === Kind.NAMED_TYPE ? node.name.value : namedType(node.type);
}

export function compilable(document: DocumentNode, recursive: Set<string>): boolean {
  if ((document.loc?.end ?? Number.POSITIVE_INFINITY) > JIT_MAX_DOCUMENT_CHARS) return false;
  return !document.definitions.some(
    (d) =>
      d.kind === Kind.OPERATION_DEFINITION &&
      d.variableDefinitions?.some((v) => recursive.has(namedType(v.type))),
  );
}

/** The offset in `source` of a 1-based line and column, as graphql-js's getLocation counts them. */
export function positionOf(source: Source, { line, column }: SourceLocation): number {
  const lineBreak = /\r\n|[\n\r]/g;
  let lineStart = 0;
  for (let current = 1; current < line; current++) {
    const match = lineBreak.exec(source.body);
    if (!match) break;
    lineStart = match.index + match[0].length;
  }
  return lineStart + column - 1;
}

/**
 * The errors of a compiled execution as graphql-js errors on the document's source, so their
 * `locations` survive yoga's serialisation. An execution that produced no `data` failed before it
 * ran (variables that do not coerce, an unknown operation): 400, as the interpreter answers.
 */
export function locatedErrors(result: ExecutionResult, source: Source | undefined): ExecutionResult {
  if (!result.errors?.length) return result;
  const requestError = !("data" in result);
  const errors = result.errors.map((error) => {
    const locations = error.locations ?? [];
    if (error.nodes || error.positions || (locations.length === 0 && !requestError)) return error;
    const http = (error.extensions?.http ?? {}) as Record<string, unknown>;
    return new GraphQLError(error.message, {
      ...(source && locations.length > 0
        ? { source, positions: locations.map((location) => positionOf(source, location)) }
        : {}),
      path: error.path,
      originalError: error.originalError ?? undefined,
      extensions: requestError ? { ...error.extensions, http: { status: 400, ...http } } : error.extensions,
    });
  });
  return { ...result, errors };
}

type Compiled = CompiledQuery | null;

/** graphql-jit where it is safe, and its errors with their locations (locatedErrors). */
export function useJit(): Plugin[] {
  const recursiveBySchema = new WeakMap<GraphQLSchema, Set<string>>();
  const compiledBySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, Compiled>>>();
  const compiledFor = (schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined) => {
    let recursive = recursiveBySchema.get(schema);
    if (!recursive) {
      recursive = recursiveInputTypes(schema);
      recursiveBySchema.set(schema, recursive);
    }
    if (!compilable(document, recursive)) return null;
    let byDocument = compiledBySchema.get(schema);
    if (!byDocument) {
      byDocument = new WeakMap();
      compiledBySchema.set(schema, byDocument);
    }
    let byOperation = byDocument.get(document);
    if (!byOperation) {
      byOperation = new Map();
      byDocument.set(document, byOperation);
    }
    const key = operationName ?? "";
    if (!byOperation.has(key)) {
      const result = compileQuery(schema, document, operationName);
      // What does not compile (an unknown operation, say) runs interpreted and fails there as usual.
      byOperation.set(key, isCompiledQuery(result) ? result : null);
    }
    return byOperation.get(key) ?? null;
  };
  const jit: Plugin = {
    onExecute({ args, setExecuteFn }) {
      const compiled = compiledFor(args.schema, args.document, args.operationName ?? undefined);
      if (!compiled) return;
      setExecuteFn(async (run) => {
        const result = await compiled.query(run.rootValue, run.contextValue, run.variableValues ?? {});
        return Object.assign(result, { stringify: compiled.stringify });
      });
    },
  };
  const locate: Plugin = {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          if (!isAsyncIterable(result)) setResult(locatedErrors(result, args.document.loc?.source));
        },
      };
    },
  };
  return [jit, locate];
}
