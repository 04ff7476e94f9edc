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

/** A unique index refused the write: the one database-error decoder's answer (src/db/errors.ts). */
export { isUniqueViolation } from "../db/errors.js";
