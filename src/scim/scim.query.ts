// What Users and Groups share: list parameters (RFC 7644 §3.4.2), the in-memory selection of a
// page, and ETags (§3.14).
import { PreconditionFailedError } from "../errors.js";
import {
  type CompiledFilter,
  compareBySort,
  matches,
  type ScimDocument,
  type SortSpec,
} from "./scim.attributes.js";
import { scimBadRequest } from "./scim.errors.js";
import { DEFAULT_COUNT, MAX_RESULTS } from "./scim.schemas.js";

export type ListQuery = {
  filter?: string;
  /** 1-based. */
  startIndex: number;
  count: number;
  sortBy?: string;
  sortOrder?: string;
  attributes?: string;
  excludedAttributes?: string;
};

/**
 * The most rows a filter or sort that SQL cannot narrow evaluates in memory; beyond it the
 * request fails with 400 tooMany rather than loading an unbounded set.
 */
export const MAX_CANDIDATES = 20_000;

function integer(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
  if (!/^[+-]?\d{1,15}$/.test(text)) throw scimBadRequest("invalidValue", `${name} must be an integer`);
  return Number(text);
}

function text(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) throw scimBadRequest("invalidValue", `${name} may be given once`);
  if (typeof value !== "string") throw scimBadRequest("invalidValue", `${name} must be a string`);
  return value;
}

/**
 * List parameters from a query string or a SearchRequest body; names are matched
 * case-insensitively. startIndex below 1 counts as 1 and a negative count as 0 (RFC 7644
 * §3.4.2.4); count is capped at MAX_RESULTS.
 */
export function parseListQuery(raw: Record<string, unknown>): ListQuery {
  const byName = new Map(Object.entries(raw).map(([key, value]) => [key.toLowerCase(), value]));
  const get = (name: string) => byName.get(name.toLowerCase());
  const filter = text("filter", get("filter"));
  const sortBy = text("sortBy", get("sortBy"));
  const sortOrder = text("sortOrder", get("sortOrder"));
  const attributes = text("attributes", get("attributes"));
  const excludedAttributes = text("excludedAttributes", get("excludedAttributes"));
  const startIndex = Math.max(1, integer("startIndex", get("startIndex")) ?? 1);
  const count = Math.min(MAX_RESULTS, Math.max(0, integer("count", get("count")) ?? DEFAULT_COUNT));
  return { filter, startIndex, count, sortBy, sortOrder, attributes, excludedAttributes };
}

/** Filters and sorts candidates (in creation order) and cuts the requested page. */
export function selectPage<T extends { doc: ScimDocument }>(
  candidates: T[],
  filter: CompiledFilter | null,
  sort: SortSpec | null,
  query: ListQuery,
): { total: number; page: T[] } {
  let selected = filter ? candidates.filter((c) => matches(c.doc, filter)) : candidates;
  // Array.prototype.sort is stable: ties keep creation order.
  if (sort) selected = [...selected].sort((a, b) => compareBySort(a.doc, b.doc, sort));
  return {
    total: selected.length,
    page: selected.slice(query.startIndex - 1, query.startIndex - 1 + query.count),
  };
}

export function etagOf(version: number): string {
  return `W/"${version}"`;
}

function tagValue(tag: string): string {
  return tag
    .trim()
    .replace(/^W\//i, "")
    .replace(/^"(.*)"$/, "$1");
}

/**
 * RFC 7644 §3.14 compares weak ETags: If-Match `W/"3"`, `"3"` or `*` all match version 3.
 * A stale one fails with 412 before anything changes.
 */
export function checkIfMatch(header: string | undefined, version: number): void {
  if (header === undefined || header.trim() === "") return;
  const tags = header.split(",").map((t) => t.trim());
  if (tags.includes("*") || tags.some((t) => tagValue(t) === String(version))) return;
  throw new PreconditionFailedError(
    `If-Match ${header} does not match the resource's current version ${etagOf(version)}`,
    { currentEtag: etagOf(version) },
  );
}

/** If-None-Match on a read: true when the client's copy is current (304). */
export function notModified(header: string | undefined, version: number): boolean {
  if (header === undefined || header.trim() === "") return false;
  const tags = header.split(",").map((t) => t.trim());
  return tags.includes("*") || tags.some((t) => tagValue(t) === String(version));
}

/** ASCII without LIKE's escape character: SQL's case folding then agrees with JavaScript's. */
export function narrowable(value: string): boolean {
  return /^[\x20-\x5b\x5d-\x7e]*$/.test(value);
}
