// Which users a SCIM DELETE has removed. SCIM deletes deactivate and hide the row instead of
// deleting it (docs/scim.md, "Users"); whoever lists users as SCIM shows them (the SCIM service,
// /api/v2/users) uses this predicate, so the surfaces agree on who is gone.
import { sql } from "../db/sql.js";

/**
 * A deleted user's e-mail becomes `<id>` at this reserved domain (RFC 2606 `.invalid`): the
 * address, userName and externalId are free for a new user, and the row stays hidden from SCIM.
 */
export const DELETED_EMAIL_DOMAIN = "@deleted.scim.invalid";

/**
 * Users not deleted over SCIM: a condition on `users u` to AND with the caller's own. The domain
 * holds no LIKE wildcard (`%`, `_`), so the pattern matches it literally.
 */
export const NOT_DELETED_OVER_SCIM = sql`u.email NOT LIKE ${`%${DELETED_EMAIL_DOMAIN}`}`;
