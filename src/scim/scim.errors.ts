// SCIM's error detail types (RFC 7644 §3.12, table 9) on the application's error hierarchy: the
// SCIM surface renders `details.scimType` (src/rest/surfaces.ts).
import { ConflictError, ValidationError } from "../errors.js";

export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue";

/** A 400 with the given scimType. */
export function scimBadRequest(scimType: Exclude<ScimType, "uniqueness">, message: string): ValidationError {
  return new ValidationError(message, [], { scimType });
}

/** A 409 uniqueness conflict (duplicate userName, e-mail, externalId or group displayName). */
export function scimConflict(message: string): ConflictError {
  return new ConflictError(message, { scimType: "uniqueness" });
}

/**
 * The PostgreSQL SQLSTATE behind a Prisma error, through the driver adapter or not: P2002 is a
 * unique violation (23505), P2034 a write conflict or deadlock; a raw query's failure (P2010)
 * carries the SQLSTATE in `meta.code` or in its message.
 */
export function databaseErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; meta?: Record<string, unknown>; message?: unknown; cause?: unknown };
  if (e.code === "P2002") return "23505";
  if (e.code === "P2034") return "40001";
  if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && !e.code.startsWith("P")) return e.code;
  const adapter = e.meta?.driverAdapterError as { cause?: { originalCode?: unknown } } | undefined;
  const metaCode = e.meta?.code ?? adapter?.cause?.originalCode;
  if (typeof metaCode === "string" && /^[0-9A-Z]{5}$/.test(metaCode)) return metaCode;
  const cause = e.cause as { originalCode?: unknown; code?: unknown } | undefined;
  const causeCode = cause?.originalCode ?? cause?.code;
  if (typeof causeCode === "string" && /^[0-9A-Z]{5}$/.test(causeCode)) return causeCode;
  if (e.code === "P2010" && typeof e.message === "string") {
    return /\b(23505|40P01|40001)\b/.exec(e.message)?.[1];
  }
  return undefined;
}

/** A unique index refused the write (another request got there first). */
export function isUniqueViolation(error: unknown): boolean {
  return databaseErrorCode(error) === "23505";
}

/** A deadlock or serialisation failure: the transaction was rolled back and may be run again. */
export function isRetryable(error: unknown): boolean {
  const code = databaseErrorCode(error);
  return code === "40P01" || code === "40001";
}
