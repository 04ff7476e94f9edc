// Operations run compiled by graphql-jit where it is safe to: one compiled function per parsed
// document, kept in a WeakMap on the document, so it lives exactly as long as the bounded
// document cache keeps the document. Two kinds of document run interpreted instead:
// - larger than JIT_MAX_DOCUMENT_CHARS: a compiled function weighs many times its document,
//   which the cache's byte budget does not count (a stream of unique large documents);
// - with a variable of a recursive input type (RecordFilter's and/or, the semantic filters):
//   graphql-jit's variable compiler recurses through such types without end and exhausts the
//   heap (zalando-incubator/graphql-jit#81, open; graphql-mesh disables JIT the same way).
import { useGraphQlJit } from "@envelop/graphql-jit";
import {
  type DocumentNode,
  type GraphQLInputObjectType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  Kind,
  type TypeNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";

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

export function useJit(schema: GraphQLSchema): Plugin {
  const recursive = recursiveInputTypes(schema);
  return useGraphQlJit({}, { enableIf: (args) => compilable(args.document, recursive) }) as Plugin;
}
