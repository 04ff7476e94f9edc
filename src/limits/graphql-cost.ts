// What a GraphQL request is charged against its key's rate limit: one point per 100 estimated
// field resolutions, at least one. Each field counts once per parent item; a field with a
// `first`/`last`/`limit`/`pageSize` argument multiplies its subtree by that size (at most 100,
// the largest page any list returns).
import {
  type DocumentNode,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";

const PAGE_ARGUMENTS = new Set(["first", "last", "limit", "pageSize"]);
const MAX_PAGE = 100;
export const COST_PER_POINT = 100;

function argumentSize(value: ValueNode, variables: Record<string, unknown>): number | undefined {
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === "number" ? v : undefined;
  }
  return undefined;
}

export function estimateCost(
  document: DocumentNode,
  variables: Record<string, unknown> = {},
  operationName?: string | null,
): number {
  const fragments = new Map(
    document.definitions.flatMap((d) =>
      d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [],
    ),
  );
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation =
    operations.find((o) => !operationName || o.name?.value === operationName) ?? operations[0];
  if (!operation) return 0;

  const visit = (set: SelectionSetNode, multiplier: number, seen: Set<string>): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith("__")) continue;
        cost += multiplier;
        if (selection.selectionSet) {
          const page = selection.arguments?.find((a) => PAGE_ARGUMENTS.has(a.name.value));
          const size = page
            ? Math.min(MAX_PAGE, Math.max(1, argumentSize(page.value, variables) ?? MAX_PAGE))
            : 1;
          cost += visit(selection.selectionSet, multiplier * size, seen);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += visit(selection.selectionSet, multiplier, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !seen.has(name)) cost += visit(fragment, multiplier, new Set([...seen, name]));
      }
    }
    return cost;
  };
  return visit(operation.selectionSet, 1, new Set());
}

export function costPoints(cost: number): number {
  return Math.max(1, Math.ceil(cost / COST_PER_POINT));
}
