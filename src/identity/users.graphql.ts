// Query.users and the user mutations (seed 002's GET /v1/users and PATCH /v1/users/{user_id}),
// over UserService like the REST routes.
import { resolveOffsetConnection } from "@pothos/plugin-relay";
import { anyId } from "../db/ids.js";
import { builder } from "../graphql/builder.js";
import { UserRef } from "./identity.graphql.js";
import { RoleSchema } from "./identity.inputs.js";

const UserRoleEnum = builder.enumType("UserRole", {
  values: Object.fromEntries(RoleSchema.options.map((role) => [role.toUpperCase(), { value: role }])),
});

/** A user id as callers may give it: the REST uuid or the User's global id (else as given: 404). */
function userIdOf(id: string | number): string {
  return anyId(id, "User") ?? String(id);
}

builder.queryFields((t) => ({
  users: t.connection(
    {
      type: UserRef,
      description: "The organisation's users in creation order (requires users:read).",
      args: { externalId: t.arg.string() },
      resolve: async (_root, args, ctx) => {
        let total = 0;
        const connection = await resolveOffsetConnection({ args }, async ({ offset, limit }) => {
          const slice = await ctx.services.users.slice(
            { externalId: args.externalId ?? undefined },
            offset,
            limit,
          );
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
