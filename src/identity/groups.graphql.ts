// Permission groups in the graph: Group (a Node) with its members, User.groups, Query.groups and
// the group mutations, over the same GroupService that SCIM's /Groups shares the rows with.
import { offsetForArgs, resolveOffsetConnection } from "@pothos/plugin-relay";
import { globalId } from "../db/ids.js";
import { builder } from "../graphql/builder.js";
import type { GraphQLContext } from "../graphql/context.js";
import type { Group } from "./groups.store.js";
import { lowerCase, UserRef } from "./identity.graphql.js";
import { SCOPE_NAMES, SCOPES } from "./scopes.js";

const svc = (ctx: GraphQLContext) => ctx.services.groups;
type ConnectionTotal = { totalCount: number };

const EndpointGroupEnum = builder.enumType("EndpointGroup", {
  description: "A named group of endpoints a permission group may allow (the API key scopes, without ALL).",
  values: Object.fromEntries(
    SCOPE_NAMES.map((scope) => [
      scope.replace(/[:]/g, "_").toUpperCase(),
      { value: scope, description: SCOPES[scope] },
    ]),
  ),
});

const GroupMemberConnection = builder.connectionObject(
  {
    type: UserRef,
    name: "GroupMemberConnection",
    fields: (c) => ({
      totalCount: c.int({ resolve: (conn) => (conn as unknown as ConnectionTotal).totalCount }),
    }),
  },
  { name: "GroupMemberConnectionEdge" },
);

export const GroupRef = builder.loadableNode("Group", {
  description:
    "A group of the organisation's users, made here or provisioned over SCIM. Its permissions are " +
    "the endpoint groups its members' refresh/access tokens may call.",
  id: { resolve: (group) => group.id, parse: lowerCase },
  load: (ids: string[], ctx: GraphQLContext) => svc(ctx).byIds(ids),
  sort: (group) => group.id,
  fields: (t) => ({
    groupId: t.exposeString("id", { description: "The group's id in SCIM payloads." }),
    displayName: t.exposeString("displayName"),
    description: t.exposeString("description", { nullable: true }),
    externalId: t.exposeString("externalId", { nullable: true }),
    external: t.exposeBoolean("external", {
      description: "Whether it mirrors a group of an external directory.",
    }),
    permissions: t.field({
      type: [EndpointGroupEnum],
      resolve: (group) => group.permissions.filter((p): p is (typeof SCOPE_NAMES)[number] => p in SCOPES),
    }),
    version: t.exposeInt("version", { description: "Bumped by every change; SCIM's ETag." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    members: t.loadable({
      type: GroupMemberConnection,
      description: "The group's members in the order they joined.",
      args: t.arg.connectionArgs(),
      // One loader per selection path, so that every group of a page shares its page arguments.
      byPath: true,
      load: async (groupIds: string[], ctx: GraphQLContext, args) => {
        const { offset, limit } = offsetForArgs({ args });
        const pages = await svc(ctx).membersOfGroups(groupIds, offset, limit);
        return Promise.all(
          pages.map(async (page) =>
            Object.assign(await resolveOffsetConnection({ args }, () => page.items), {
              totalCount: page.total,
            }),
          ),
        );
      },
      resolve: (group) => group.id,
    }),
  }),
});

builder.objectFields(UserRef, (t) => ({
  groups: t.loadableList({
    type: GroupRef,
    description: "The groups the user belongs to, by name (requires users:read).",
    load: (userIds: string[], ctx: GraphQLContext) => svc(ctx).groupsOfUsers(userIds),
    resolve: (user) => user.id,
  }),
}));

builder.queryFields((t) => ({
  groups: t.connection(
    {
      type: GroupRef,
      description: "The organisation's groups by name (requires users:read).",
      resolve: async (_root, args, ctx) => {
        let total = 0;
        const connection = await resolveOffsetConnection({ args }, async ({ offset, limit }) => {
          const slice = await svc(ctx).slice(offset, limit);
          total = slice.total;
          return slice.items;
        });
        return Object.assign(connection, { totalCount: total });
      },
    },
    {
      name: "GroupConnection",
      fields: (c) => ({
        totalCount: c.int({ resolve: (conn) => (conn as unknown as ConnectionTotal).totalCount }),
      }),
    },
  ),
}));

const CreateGroupInput = builder.inputType("CreateGroupInput", {
  fields: (t) => ({
    displayName: t.string({ required: true, description: "Unique in the organisation." }),
    description: t.string(),
    externalId: t.string({ description: "The identity provider's id for the group." }),
    permissions: t.field({ type: [EndpointGroupEnum], description: "None when omitted." }),
  }),
});
const UpdateGroupInput = builder.inputType("UpdateGroupInput", {
  fields: (t) => ({
    groupId: t.globalID({ required: true, for: GroupRef }),
    displayName: t.string(),
    description: t.string({ description: "null clears it." }),
    externalId: t.string({ description: "null clears it." }),
    permissions: t.field({ type: [EndpointGroupEnum], description: "Replaces the group's permissions." }),
  }),
});
const DeleteGroupInput = builder.inputType("DeleteGroupInput", {
  fields: (t) => ({ groupId: t.globalID({ required: true, for: GroupRef }) }),
});
const GroupMembersInput = builder.inputType("GroupMembersInput", {
  fields: (t) => ({
    groupId: t.globalID({ required: true, for: GroupRef }),
    userIds: t.globalIDList({ required: true, for: UserRef, description: "At most 100 users." }),
  }),
});

const DeleteGroupPayload = builder.objectRef<Group>("DeleteGroupPayload").implement({
  fields: (t) => ({
    deletedGroupId: t.id({ resolve: (group) => globalId("Group", group.id) }),
  }),
});

builder.mutationFields((t) => ({
  createGroup: t.field({
    type: GroupRef,
    description: "Creates a permission group (requires org:admin).",
    args: { input: t.arg({ type: CreateGroupInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).create({
        displayName: input.displayName,
        description: input.description,
        externalId: input.externalId,
        permissions: input.permissions ?? undefined,
      }),
  }),
  updateGroup: t.field({
    type: GroupRef,
    description: "Renames a group or replaces its permissions (requires org:admin).",
    args: { input: t.arg({ type: UpdateGroupInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).update(input.groupId.id, {
        displayName: input.displayName ?? undefined,
        description: input.description,
        externalId: input.externalId,
        permissions: input.permissions ?? undefined,
      }),
  }),
  deleteGroup: t.field({
    type: DeleteGroupPayload,
    description: "Deletes a group; its members lose the permissions it gave (requires org:admin).",
    args: { input: t.arg({ type: DeleteGroupInput, required: true }) },
    resolve: (_root, { input }, ctx) => svc(ctx).delete(input.groupId.id),
  }),
  addGroupMembers: t.field({
    type: GroupRef,
    description: "Adds users to a group; members already in it stay (requires org:admin).",
    args: { input: t.arg({ type: GroupMembersInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).addMembers(
        input.groupId.id,
        input.userIds.map((id) => id.id),
      ),
  }),
  removeGroupMembers: t.field({
    type: GroupRef,
    description: "Removes users from a group (requires org:admin).",
    args: { input: t.arg({ type: GroupMembersInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).removeMembers(
        input.groupId.id,
        input.userIds.map((id) => id.id),
      ),
  }),
}));
