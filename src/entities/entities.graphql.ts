// Entities in the graph, over the same EntityService as /v1/entities: the connection takes the
// REST filters, sort syntax and cursors.

import { anyId, globalId } from "../db/ids.js";
import { builder } from "../graphql/builder.js";
import type { GraphQLContext } from "../graphql/context.js";
import {
  type CreateEntityInput as CreateEntityData,
  ENTITY_PREFIX,
  entityRestId,
  type UpdateEntityInput as UpdateEntityData,
} from "./entities.inputs.js";
import type { Entity } from "./entities.service.js";

const svc = (ctx: GraphQLContext) => ctx.services.entities;

/** An entity id as callers may give it: the REST id (`ent_...`) or the Entity's global id. */
function toEntityId(id: string): string {
  return anyId(id, "Entity", ENTITY_PREFIX) ?? id;
}

export const EntityRef = builder.loadableNode("Entity", {
  description: "A generic entity (supplier, customer, site...) with per-type validated attributes.",
  id: { resolve: (e: Entity) => e.id },
  // node(id:) and nodes(ids:) in one statement per request; another tenant's id loads null.
  load: (ids: string[], ctx: GraphQLContext) => svc(ctx).findMany(ids),
  isTypeOf: (value) =>
    typeof value === "object" && value !== null && "attributes" in value && "organizationId" in value,
  fields: (t) => ({
    entityId: t.string({
      description: "The entity's id in REST payloads (ent_...).",
      resolve: (e) => entityRestId(e.id),
    }),
    type: t.exposeString("type"),
    name: t.exposeString("name"),
    attributes: t.field({ type: "JSONObject", resolve: (e) => e.attributes }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const EntityAttributeFilter = builder.inputType("EntityAttributeFilter", {
  description: "attributes.<key> = value, compared with the attribute's text form (as on REST).",
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.string({ required: true }),
  }),
});

type EntityConnectionShape = {
  edges: Array<{ cursor: string; node: Entity }>;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount: number;
};

builder.queryFields((t) => ({
  entities: t.connection(
    {
      type: EntityRef,
      description:
        "The organisation's entities, filtered and sorted as on REST. Pages forward (first/after) and backward (last/before); 25 when neither first nor last is given.",
      args: {
        type: t.arg.string(),
        createdAfter: t.arg({ type: "DateTime" }),
        createdBefore: t.arg({ type: "DateTime" }),
        attributes: t.arg({ type: [EntityAttributeFilter] }),
        sort: t.arg.string({
          description:
            "As REST: comma list of id, type, name, created_at, updated_at, attributes.<key>; - for descending.",
        }),
      },
      resolve: async (_root, args, ctx) => {
        const page = await svc(ctx).connection({
          type: args.type ?? undefined,
          createdAfter: args.createdAfter ?? undefined,
          createdBefore: args.createdBefore ?? undefined,
          attributes: Object.fromEntries((args.attributes ?? []).map((a) => [a.key, a.value])),
          sort: args.sort ?? undefined,
          first: args.first ?? (args.last == null ? 25 : undefined),
          after: args.after ?? undefined,
          last: args.last ?? undefined,
          before: args.before ?? undefined,
        });
        const shape: EntityConnectionShape = {
          edges: page.rows.map((node, index) => ({ node, cursor: page.cursors[index] ?? "" })),
          pageInfo: {
            hasNextPage: page.hasNextPage,
            hasPreviousPage: page.hasPreviousPage,
            startCursor: page.cursors[0] ?? null,
            endCursor: page.cursors.at(-1) ?? null,
          },
          totalCount: page.total,
        };
        return shape;
      },
    },
    {
      name: "EntityConnection",
      fields: (c) => ({
        totalCount: c.int({
          resolve: (connection) => (connection as unknown as EntityConnectionShape).totalCount,
        }),
      }),
    },
  ),
}));

const CreateEntityInput = builder.inputType("CreateEntityInput", {
  fields: (t) => ({
    type: t.string({ required: true }),
    name: t.string({ required: true }),
    attributes: t.field({ type: "JSONObject" }),
  }),
});

const UpdateEntityInput = builder.inputType("UpdateEntityInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The Entity's global id or its REST id (ent_...)." }),
    type: t.string(),
    name: t.string(),
    attributes: t.field({ type: "JSONObject", description: "Merged; an attribute set to null is removed." }),
  }),
});

const DeleteEntityInput = builder.inputType("DeleteEntityInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The Entity's global id or its REST id (ent_...)." }),
  }),
});

const DeleteEntityPayload = builder.objectRef<{ id: string }>("DeleteEntityPayload").implement({
  fields: (t) => ({
    deletedEntityId: t.id({ resolve: (p) => globalId("Entity", p.id) }),
  }),
});

builder.mutationFields((t) => ({
  createEntity: t.field({
    type: EntityRef,
    args: { input: t.arg({ type: CreateEntityInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).create({
        type: input.type,
        name: input.name,
        attributes: (input.attributes ?? undefined) as CreateEntityData["attributes"],
      }),
  }),
  updateEntity: t.field({
    type: EntityRef,
    args: { input: t.arg({ type: UpdateEntityInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).update(toEntityId(String(input.id)), {
        ...(input.type != null ? { type: input.type } : {}),
        ...(input.name != null ? { name: input.name } : {}),
        ...(input.attributes != null
          ? { attributes: input.attributes as UpdateEntityData["attributes"] }
          : {}),
      }),
  }),
  deleteEntity: t.field({
    type: DeleteEntityPayload,
    args: { input: t.arg({ type: DeleteEntityInput, required: true }) },
    resolve: (_root, { input }, ctx) => svc(ctx).delete(toEntityId(String(input.id))),
  }),
}));
