// Query.users and the user mutations (seed 002's GET /v1/users and PATCH /v1/users/{user_id}),
// over UserService like the REST routes.
import { cursorToOffset, offsetToCursor, resolveOffsetConnection } from "@pothos/plugin-relay";
import { anyId } from "../db/ids.js";
import { builder } from "../graphql/builder.js";
import { UserRef } from "./identity.graphql.js";
import { RoleSchema } from "./identity.inputs.js";
import type { User } from "./users.store.js";

const UserRoleEnum = builder.enumType("UserRole", {
  values: Object.fromEntries(RoleSchema.options.map((role) => [role.toUpperCase(), { value: role }])),
});

/** A user id as callers may give it: the REST uuid or the User's global id (else as given: 404). */
function userIdOf(id: string | number): string {
  return anyId(id, "User") ?? String(id);
}

/**
 * The connection of the list's last users, with the offset cursors resolveOffsetConnection makes
 * (so they page on either way); rows at or before `after` are left out (Relay's algorithm applies
 * both cursors before `last`).
 */
function lastUsers(tail: { items: User[]; total: number }, last: number, after: string | null) {
  const start = tail.total - tail.items.length;
  const afterOffset = after === null ? -1 : cursorToOffset(after);
  const edges = tail.items
    .map((node, index) => ({ node, cursor: offsetToCursor(start + index), offset: start + index }))
    .filter((edge) => edge.offset > afterOffset)
    .map(({ node, cursor }) => ({ node, cursor }));
  return {
    edges,
    totalCount: tail.total,
    pageInfo: {
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
      // Relay: more rows after `after` than `last` asked for.
      hasPreviousPage: tail.total - (afterOffset + 1) > last,
      hasNextPage: false,
    },
  };
}

builder.queryFields((t) => ({
  users: t.connection(
    {
      type: UserRef,
      description: "The organisation's users in creation order (requires users:read).",
      args: { externalId: t.arg.string() },
      resolve: async (_root, args, ctx) => {
        const filter = { externalId: args.externalId ?? undefined };
        // `last` without `before` (or `first`) ends at the list's end, whose offset only a count
        // knows: read the end backwards instead, in one statement.
        if (args.last != null && args.before == null && args.first == null) {
          const tail = await ctx.services.users.tail(filter, args.last);
          return lastUsers(tail, args.last, args.after ?? null);
        }
        let total = 0;
        const connection = await resolveOffsetConnection({ args }, async ({ offset, limit }) => {
          const slice = await ctx.services.users.slice(filter, offset, limit);
          total = slice.total;
          return slice.items;
        });
        return Object.assign(connection, { totalCount: total });
      },
    },
    {
      name: "UserConnection",
      fields: (c) => ({
        totalCount: c.int({ resolve: (conn) => (conn as unknown as { totalCount: number }).totalCount }),
      }),
    },
  ),
}));

const UpdateUserRoleInput = builder.inputType("UpdateUserRoleInput", {
  fields: (t) => ({
    userId: t.id({ required: true, description: "The User's global id or REST id." }),
    role: t.field({ type: UserRoleEnum, required: true }),
  }),
});
const UpdateUserInput = builder.inputType("UpdateUserInput", {
  fields: (t) => ({
    userId: t.id({ required: true, description: "The User's global id or REST id." }),
    role: t.field({ type: UserRoleEnum }),
    externalId: t.string({ description: "Unique per organisation; null clears it." }),
  }),
});

builder.mutationFields((t) => ({
  updateUserRole: t.field({
    type: UserRef,
    description: "Changes a user's role (requires users:write); the last owner keeps the owner role.",
    args: { input: t.arg({ type: UpdateUserRoleInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.users.updateRole(userIdOf(input.userId), input.role),
  }),
  updateUser: t.field({
    type: UserRef,
    description:
      "Changes a user's role and/or external id, as PATCH /v1/users/{user_id} (requires users:write).",
    args: { input: t.arg({ type: UpdateUserInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.users.update(userIdOf(input.userId), {
        role: input.role ?? undefined,
        externalId: input.externalId,
      }),
  }),
}));
