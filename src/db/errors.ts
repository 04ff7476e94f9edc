// The one decoder of database errors. A failure reaches us in several wrappings: pg's
// DatabaseError (`code` is the SQLSTATE), Prisma's known errors (P2002 unique, P2003 foreign
// key, P2034 write conflict or deadlock), a raw query's P2010 carrying the SQLSTATE in
// `meta.code` or its message, and the driver adapter's classification in
// `meta.driverAdapterError.cause.originalCode` or `cause.originalCode`. Services ask what it
// means (`isUniqueViolation`…) or let `translateDatabaseError` map it into the error hierarchy;
// an unreachable database is src/db/unavailable.ts's to tell.

const SQLSTATE = /^[0-9A-Z]{5}$/;
const PRISMA_TO_SQLSTATE: Record<string, string> = { P2002: "23505", P2003: "23503", P2034: "40001" };

/** The PostgreSQL SQLSTATE behind `error`, whatever wraps it; undefined if there is none. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; meta?: Record<string, unknown>; message?: unknown; cause?: unknown };
  if (typeof e.code === "string") {
    const mapped = PRISMA_TO_SQLSTATE[e.code];
    if (mapped) return mapped;
    if (SQLSTATE.test(e.code) && !e.code.startsWith("P")) return e.code;
  }
  const adapter = e.meta?.driverAdapterError as { cause?: { originalCode?: unknown } } | undefined;
  const metaCode = e.meta?.code ?? adapter?.cause?.originalCode;
  if (typeof metaCode === "string" && SQLSTATE.test(metaCode)) return metaCode;
  const cause = e.cause as { originalCode?: unknown; code?: unknown } | undefined;
  const causeCode = cause?.originalCode ?? cause?.code;
  if (typeof causeCode === "string" && SQLSTATE.test(causeCode)) return causeCode;
  if (e.code === "P2010" && typeof e.message === "string") {
    return /\b(23505|23503|40P01|40001)\b/.exec(e.message)?.[1];
  }
  return undefined;
}

/** A unique index refused the write (another request got there first). */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === "23505";
}

/** A foreign key refused the write (its target is gone, or rows still point at it). */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === "23503";
}

/** A deadlock or serialisation failure: the transaction was rolled back and may run again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = sqlState(error);
  return code === "40P01" || code === "40001";
}

/**
 * Rethrows `error` as the caller's domain error for the constraint it broke, or as it is: the
 * one place where a SQLSTATE becomes a 409 or a 400.
 */
export function translateDatabaseError(
  error: unknown,
  meaning: { unique?: () => Error; foreignKey?: () => Error; conflict?: () => Error },
): never {
  const code = sqlState(error);
  if (code === "23505" && meaning.unique) throw meaning.unique();
  if (code === "23503" && meaning.foreignKey) throw meaning.foreignKey();
  if ((code === "40001" || code === "40P01") && meaning.conflict) throw meaning.conflict();
  throw error;
}
