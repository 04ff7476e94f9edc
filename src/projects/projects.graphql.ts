// Projects, members and User.projects in the graph, over the same ProjectService as /v1/projects.
// Projects and members are loadable nodes; Project.members is one keyset window per project, and
// the projects of a page asking the same window share one statement (as User.projects does).
import {
  type ResolveCursorConnectionArgs,
  resolveCursorConnection,
  resolveOffsetConnection,
} from "@pothos/plugin-relay";
import { decodeCursor, encodeCursor } from "../db/cursor.js";
import { anyId, globalId, isUuid } from "../db/ids.js";
import { ValidationError } from "../errors.js";
import { builder } from "../graphql/builder.js";
import type { GraphQLContext } from "../graphql/context.js";
import { UserRef } from "../identity/identity.graphql.js";
import { PROJECT_ROLES, PROJECT_STATUSES } from "./projects.inputs.js";
import type { MemberWithUser, Project } from "./projects.service.js";

const svc = (ctx: GraphQLContext) => ctx.services.projects;

/** An id as callers may give it: the REST uuid or the global id of `type`. */
export function idOf(id: string | number, type: string): string {
  return anyId(id, type) ?? String(id);
}

/** A member's place in its project's list: when it joined, then its id. */
function memberCursor(member: MemberWithUser): string {
  return encodeCursor([member.createdAt.toISOString(), member.id]);
}

function memberKey(cursor: string, field: "after" | "before"): { createdAt: Date; id: string } {
  const value = decodeCursor(cursor);
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === "string" &&
    !Number.isNaN(Date.parse(value[0])) &&
    typeof value[1] === "string" &&
    isUuid(value[1])
  ) {
    return { createdAt: new Date(value[0]), id: value[1] };
  }
  throw new ValidationError(`Invalid cursor: ${cursor}`, [
    { field, message: "Is not a cursor of this list" },
  ]);
}

const ProjectRoleEnum = builder.enumType("ProjectRole", {
  values: Object.fromEntries(PROJECT_ROLES.map((role) => [role.toUpperCase(), { value: role }])),
});
const ProjectStatusEnum = builder.enumType("ProjectStatus", {
  description: "ARCHIVED projects are hidden from lists unless asked for; DELETE /v1/projects/{id} archives.",
  values: Object.fromEntries(PROJECT_STATUSES.map((status) => [status.toUpperCase(), { value: status }])),
});

export const ProjectRef = builder.loadableNode("Project", {
  description: "A project of the organisation, with members.",
  id: { resolve: (p: Project) => p.id },
  load: (ids: string[], ctx: GraphQLContext) => svc(ctx).findMany(ids),
  isTypeOf: (value) =>
    typeof value === "object" && value !== null && "archivedAt" in value && "externalId" in value,
  fields: (t) => ({
    projectId: t.exposeString("id", { description: "The project's id in REST payloads." }),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    externalId: t.exposeString("externalId", { nullable: true }),
    status: t.field({
      type: ProjectStatusEnum,
      resolve: (p) => p.status as (typeof PROJECT_STATUSES)[number],
    }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

export const ProjectMemberRef = builder.loadableNode("ProjectMember", {
  description: "A user's membership of a project.",
  id: { resolve: (m: MemberWithUser) => m.id },
  load: (ids: string[], ctx: GraphQLContext) => svc(ctx).membersById(ids),
  isTypeOf: (value) => typeof value === "object" && value !== null && "projectId" in value && "role" in value,
  fields: (t) => ({
    role: t.field({ type: ProjectRoleEnum, resolve: (m) => m.role as (typeof PROJECT_ROLES)[number] }),
    user: t.field({ type: UserRef, resolve: (m) => m.userId }),
    project: t.field({ type: ProjectRef, resolve: (m) => m.projectId }),
    addedAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

type ConnectionTotal = { totalCount: number };

builder.objectFields(ProjectRef, (t) => ({
  members: t.connection(
    {
      type: ProjectMemberRef,
      resolve: async (project, args, ctx) => {
        let total = 0;
        const connection = await resolveCursorConnection(
          { args, toCursor: memberCursor },
          async ({
            before,
            after,
            limit,
            inverted,
          }: ResolveCursorConnectionArgs): Promise<MemberWithUser[]> => {
            const window = await svc(ctx).membersWindow(project.id, {
              ...(after ? { after: memberKey(after, "after") } : {}),
              ...(before ? { before: memberKey(before, "before") } : {}),
              limit,
              inverted,
            });
            total = window.total;
            return window.members;
          },
        );
        return Object.assign(connection, { totalCount: total });
      },
    },
    {
      name: "ProjectMemberConnection",
      fields: (c) => ({
        totalCount: c.int({ resolve: (conn) => (conn as unknown as ConnectionTotal).totalCount }),
      }),
    },
  ),
}));

builder.objectFields(UserRef, (t) => ({
  projects: t.loadableList({
    type: ProjectRef,
    description: "The active projects the user is a member of (requires projects:read).",
    load: (userIds: string[], ctx: GraphQLContext) => svc(ctx).activeProjectsOfUsers(userIds),
    resolve: (user) => user.id,
  }),
}));

builder.queryFields((t) => ({
  projects: t.connection(
    {
      type: ProjectRef,
      description: "The organisation's projects in creation order; archived ones only when asked for.",
      args: {
        externalId: t.arg.string(),
        status: t.arg({ type: ProjectStatusEnum, description: "Wins over includeArchived." }),
        includeArchived: t.arg.boolean({ defaultValue: false }),
      },
      resolve: async (_root, args, ctx) => {
        let total = 0;
        const connection = await resolveOffsetConnection({ args }, async ({ offset, limit }) => {
          const slice = await svc(ctx).list({
            externalId: args.externalId ?? undefined,
            status: args.status ?? undefined,
            includeArchived: args.includeArchived ?? false,
            skip: offset,
            take: limit,
          });
          total = slice.total;
          return slice.items;
        });
        return Object.assign(connection, { totalCount: total });
      },
    },
    {
      name: "ProjectConnection",
      fields: (c) => ({
        totalCount: c.int({ resolve: (conn) => (conn as unknown as ConnectionTotal).totalCount }),
      }),
    },
  ),
}));

const CreateProjectInput = builder.inputType("CreateProjectInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    externalId: t.string(),
  }),
});
const UpdateProjectInput = builder.inputType("UpdateProjectInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The Project's global id or REST id." }),
    name: t.string(),
    description: t.string({ description: "null clears it." }),
    externalId: t.string({ description: "null clears it." }),
    status: t.field({ type: ProjectStatusEnum, description: "ACTIVE restores an archived project." }),
  }),
});
const ArchiveProjectInput = builder.inputType("ArchiveProjectInput", {
  fields: (t) => ({ id: t.id({ required: true, description: "The Project's global id or REST id." }) }),
});
const SetProjectMemberInput = builder.inputType("SetProjectMemberInput", {
  fields: (t) => ({
    projectId: t.id({ required: true, description: "The Project's global id or REST id." }),
    userId: t.id({ required: true, description: "The User's global id or REST id." }),
    role: t.field({ type: ProjectRoleEnum, required: true }),
  }),
});
const RemoveProjectMemberInput = builder.inputType("RemoveProjectMemberInput", {
  fields: (t) => ({
    projectId: t.id({ required: true, description: "The Project's global id or REST id." }),
    userId: t.id({ required: true, description: "The User's global id or REST id." }),
  }),
});
const RemoveProjectMemberPayload = builder
  .objectRef<{ id: string; projectId: string }>("RemoveProjectMemberPayload")
  .implement({
    fields: (t) => ({
      removedMemberId: t.id({ resolve: (m) => globalId("ProjectMember", m.id) }),
      project: t.field({ type: ProjectRef, resolve: (m) => m.projectId }),
    }),
  });

builder.mutationFields((t) => ({
  createProject: t.field({
    type: ProjectRef,
    args: { input: t.arg({ type: CreateProjectInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).create({ name: input.name, description: input.description, externalId: input.externalId }),
  }),
  updateProject: t.field({
    type: ProjectRef,
    args: { input: t.arg({ type: UpdateProjectInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).update(idOf(input.id, "Project"), {
        name: input.name ?? undefined,
        description: input.description,
        externalId: input.externalId,
        status: input.status ?? undefined,
      }),
  }),
  archiveProject: t.field({
    type: ProjectRef,
    args: { input: t.arg({ type: ArchiveProjectInput, required: true }) },
    resolve: (_root, { input }, ctx) => svc(ctx).archive(idOf(input.id, "Project")),
  }),
  setProjectMember: t.field({
    type: ProjectMemberRef,
    args: { input: t.arg({ type: SetProjectMemberInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      (await svc(ctx).setMember(idOf(input.projectId, "Project"), idOf(input.userId, "User"), input.role))
        .member,
  }),
  removeProjectMember: t.field({
    type: RemoveProjectMemberPayload,
    args: { input: t.arg({ type: RemoveProjectMemberInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).removeMember(idOf(input.projectId, "Project"), idOf(input.userId, "User")),
  }),
}));
