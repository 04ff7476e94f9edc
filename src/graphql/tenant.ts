// Node lookups confined to the viewer's organisation: a global id of another tenant, or one
// that does not decode to a valid key, resolves to null, exactly like an id that never existed.
import { isUuid } from "../identity/authenticate.js";
import type { GraphQLContext } from "./context.js";

/** Never an id of a row: used to make a lookup match nothing without an error. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

export function tenantUnique(id: string, ctx: GraphQLContext) {
  return { id: isUuid(id) ? id : NIL_UUID, organizationId: ctx.viewer.organization.id };
}
