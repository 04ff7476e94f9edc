// Cursor paging of the /api/v2 list endpoints (seed 004, docs/tokens.md "Paging"):
//   { "data": [...], "metadata": { "hasNext", "hasPrevious", "next": "after=<c>", "previous": "before=<c>" } }
// Keyset paging: a cursor names a position in the list's total order (the key of a row), so rows
// inserted between two requests never make a page repeat or skip rows that were already there.
// Cursors are opaque (base64url of JSON) and confined to the caller's organisation by the queries
// that use them, so a tampered cursor can only move within the caller's own rows.
import { z } from "zod";
import { ValidationError } from "../errors.js";

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 100;

export const CursorPageQuery = z
  .object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE_LIMIT)
      .default(DEFAULT_PAGE_LIMIT)
      .describe(`Rows per page, 1 to ${MAX_PAGE_LIMIT}.`),
    after: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe("The cursor of `metadata.next`: the page after it."),
    before: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe("The cursor of `metadata.previous`: the page before it."),
  })
  .refine((q) => q.after === undefined || q.before === undefined, {
    message: "give after or before, not both",
    path: ["before"],
  });
export type CursorPageQuery = z.infer<typeof CursorPageQuery>;

export const PageMetadata = z
  .object({
    hasNext: z.boolean(),
    hasPrevious: z.boolean(),
    next: z.string().nullable().describe("`after=<cursor>`: append it to the URL for the next page."),
    previous: z
      .string()
      .nullable()
      .describe("`before=<cursor>`: append it to the URL for the previous page."),
  })
  .meta({ id: "PageMetadata" });
export type PageMetadata = z.infer<typeof PageMetadata>;

export function cursorPage<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), metadata: PageMetadata });
}

/** A position: just after/before `key`, or at it (inclusive) for the links of an empty page. */
export type Position<K> = { key: K; inclusive: boolean };
export type Direction = "forward" | "backward";

/** How a list's keys travel inside cursors. `decode` returns null for anything it did not make. */
export type KeyCodec<K> = { encode(key: K): unknown; decode(raw: unknown): K | null };

/**
 * Rows from a position: "forward" in ascending order, after `from` (at or after when inclusive;
 * from the start when null); "backward" in descending order, before `from` (from the end when null).
 */
export type FetchRows<T, K> = (direction: Direction, from: Position<K> | null, take: number) => Promise<T[]>;

export type CursorPageResult<T> = { data: T[]; metadata: PageMetadata };

export async function paginate<T, K>(
  query: CursorPageQuery,
  codec: KeyCodec<K>,
  keyOf: (row: T) => K,
  fetch: FetchRows<T, K>,
): Promise<CursorPageResult<T>> {
  const after = query.after === undefined ? null : decodeCursor(query.after, codec, "after");
  const before = query.before === undefined ? null : decodeCursor(query.before, codec, "before");
  const { limit } = query;
  const cursor = (position: Position<K>) => encodeCursor(position, codec);
  const flip = (p: Position<K>): Position<K> => ({ key: p.key, inclusive: !p.inclusive });

  let data: T[];
  let hasNext: boolean;
  let hasPrevious: boolean;
  // Where the links of an empty page point: the other side of the position it was asked for.
  let emptyNext: Position<K> | null = null;
  let emptyPrevious: Position<K> | null = null;
  if (before) {
    const rows = await fetch("backward", before, limit + 1);
    data = rows.slice(0, limit).reverse();
    hasPrevious = rows.length > limit;
    hasNext = (await fetch("forward", flip(before), 1)).length > 0;
    emptyNext = flip(before);
  } else {
    const rows = await fetch("forward", after, limit + 1);
    data = rows.slice(0, limit);
    hasNext = rows.length > limit;
    hasPrevious = after ? (await fetch("backward", flip(after), 1)).length > 0 : false;
    emptyPrevious = after ? flip(after) : null;
  }
  const first = data[0];
  const last = data[data.length - 1];
  const nextFrom = last === undefined ? emptyNext : { key: keyOf(last), inclusive: false };
  const previousFrom = first === undefined ? emptyPrevious : { key: keyOf(first), inclusive: false };
  return {
    data,
    metadata: {
      hasNext,
      hasPrevious,
      next: hasNext && nextFrom ? `after=${cursor(nextFrom)}` : null,
      previous: hasPrevious && previousFrom ? `before=${cursor(previousFrom)}` : null,
    },
  };
}

function encodeCursor<K>(position: Position<K>, codec: KeyCodec<K>): string {
  const payload = position.inclusive
    ? { k: codec.encode(position.key), i: 1 }
    : { k: codec.encode(position.key) };
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

function decodeCursor<K>(text: string, codec: KeyCodec<K>, parameter: string): Position<K> {
  let payload: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error("not base64url");
    payload = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    payload = undefined;
  }
  const raw = payload as { k?: unknown; i?: unknown } | undefined;
  const key = raw && typeof raw === "object" && "k" in raw ? codec.decode(raw.k) : null;
  if (key === null || (raw?.i !== undefined && raw.i !== 1)) {
    throw new ValidationError(`${parameter}: not a valid cursor`, [
      { field: parameter, message: "is not a cursor this endpoint returned" },
    ]);
  }
  return { key, inclusive: raw?.i === 1 };
}
