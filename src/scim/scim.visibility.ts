// Which users a SCIM DELETE has removed. SCIM deletes deactivate and hide the row instead of
// deleting it (docs/scim.md, "Users"); whoever lists users as SCIM shows them (the SCIM service,
// /api/v2/users) uses this predicate, so the surfaces agree on who is gone.
import type { Prisma } from "../generated/prisma/client.js";

/**
 * A deleted user's e-mail becomes `<id>` at this reserved domain (RFC 2606 `.invalid`): the
 * address, userName and externalId are free for a new user, and the row stays hidden from SCIM.
 */
export const DELETED_EMAIL_DOMAIN = "@deleted.scim.invalid";

/** Users not deleted over SCIM: a where clause to AND with the caller's own. */
export const NOT_DELETED_OVER_SCIM: Prisma.UserWhereInput = {
  NOT: { email: { endsWith: DELETED_EMAIL_DOMAIN } },
};
