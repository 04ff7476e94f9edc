// What Users and Groups share: list parameters (RFC 7644 §3.4.2), the in-memory selection of a
// page, and ETags (§3.14).
import type { Sql, SqlPool } from "../db/sql.js";
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

/**
 * An integer parameter, clamped to [min, max]: a value beyond either bound reads as that bound,
 * however many digits it has (RFC 7644 §3.4.2.4: a count above the maximum is the maximum).
 */
function integer(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw scimBadRequest("invalidValue", `${name} must be an integer`);
    return Math.min(max, Math.max(min, value));
  }
  const text = typeof value === "string" ? value.trim() : "";
  const match = /^([+-]?)0*(\d+)$/.exec(text);
  if (!match) throw scimBadRequest("invalidValue", `${name} must be an integer`);
  const digits = match[2] ?? "0";
  // Sixteen digits or more are beyond every bound used here (and beyond exact doubles).
  const magnitude = digits.length > 15 ? Number.POSITIVE_INFINITY : Number(digits);
  const number = match[1] === "-" ? -magnitude : magnitude;
  return Math.min(max, Math.max(min, number));
}

function text(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) throw scimBadRequest("invalidValue", `${name} may be given once`);
  if (typeof value !== "string") throw scimBadRequest("invalidValue", `${name} must be a string`);
  return value;
}

/** The largest startIndex taken as given; beyond it a page is empty anyway. */
const MAX_START_INDEX = 2_147_483_647;

/**
 * List parameters from a query string or a SearchRequest body; names are matched
 * case-insensitively. startIndex below 1 counts as 1 and a negative count as 0 (RFC 7644
 * §3.4.2.4); a count above MAX_RESULTS (any number of digits) is MAX_RESULTS.
 */
export function parseListQuery(raw: Record<string, unknown>): ListQuery {
  const byName = new Map(Object.entries(raw).map(([key, value]) => [key.toLowerCase(), value]));
  const get = (name: string) => byName.get(name.toLowerCase());
  const filter = text("filter", get("filter"));
  const sortBy = text("sortBy", get("sortBy"));
  const sortOrder = text("sortOrder", get("sortOrder"));
  const attributes = text("attributes", get("attributes"));
  const excludedAttributes = text("excludedAttributes", get("excludedAttributes"));
  const startIndex = integer("startIndex", get("startIndex"), 1, MAX_START_INDEX) ?? 1;
  const count = integer("count", get("count"), 0, MAX_RESULTS) ?? DEFAULT_COUNT;
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

/** How often a SCIM write runs when the database aborts it for a deadlock or serialisation. */
const TRANSACTION_ATTEMPTS = 3;

/**
 * A SCIM write in one transaction. Group writes lock the group, then its members' rows; user
 * writes take their groups' rows (key-share) before the user's, so the two kinds wait for each
 * other instead of deadlocking. What ordering cannot prevent (a membership added between the two
 * steps, or another surface locking users before groups) PostgreSQL breaks by aborting one
 * transaction: that one runs again, from the start, since it changed nothing.
 */
export function inTransaction<T>(pool: SqlPool, work: (tx: Sql) => Promise<T>): Promise<T> {
  return pool.transaction(work, { retries: TRANSACTION_ATTEMPTS - 1 });
}
