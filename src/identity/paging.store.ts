// Offset pages with their total, shared by the identity and SCIM stores (GraphQL's offset
// connections and SCIM's startIndex/count both need the page and the number of matches).
import { type Prisma, type Sql, sql } from "../db/sql.js";

export type CountedPage<R> = { rows: R[]; total: number };

/**
 * One statement for the page and its total: `count(*) OVER ()` is computed over every match
 * before OFFSET and LIMIT cut the page. A page with no row cannot carry the total, so only then
 * (past the end, or a page of size 0) does a second statement count.
 */
export async function offsetPage<R>(
  db: Sql,
  parts: {
    select: Prisma.Sql;
    from: Prisma.Sql;
    where: Prisma.Sql;
    orderBy: Prisma.Sql;
    skip: number;
    take: number;
  },
): Promise<CountedPage<R>> {
  const { select, from, where, orderBy, skip, take } = parts;
  const rows = await db.rows<R & { page_total: string }>(
    sql`SELECT ${select}, count(*) OVER () AS page_total FROM ${from} WHERE ${where}
      ORDER BY ${orderBy} OFFSET ${skip} LIMIT ${take}`,
  );
  const first = rows[0];
  if (first) return { rows, total: Number(first.page_total) };
  if (skip === 0 && take > 0) return { rows: [], total: 0 };
  const counted = await db.maybeOne<{ total: string }>(
    sql`SELECT count(*) AS total FROM ${from} WHERE ${where}`,
  );
  return { rows: [], total: Number(counted?.total ?? 0) };
}
