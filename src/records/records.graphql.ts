// Modules, records and references in the graph, over the same services as the REST routes.
// Records, users and modules resolve through the request's DataLoaders (RecordService.loaders,
// the per-request module cache), so a page of records costs a fixed number of statements.
import { resolveArrayConnection } from "@pothos/plugin-relay";
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";
import { ValidationError } from "../errors.js";
import { builder } from "../graphql/builder.js";
import type { GraphQLContext } from "../graphql/context.js";
import { UserRef } from "../identity/identity.graphql.js";
import { OPERATORS } from "./advanced-filter.js";
import { type ModuleDef, type ReferenceDefinition, referencesOf } from "./modules.service.js";
import {
  FIELD_TYPES,
  type FieldDefinition,
  PRIVACY_LEVELS,
  RECORD_PREFIX,
  recordRestId,
  USER_PREFIX,
  userRestId,
} from "./records.inputs.js";
import type { RecordConnectionResult, RecordRow } from "./records.service.js";
import { fieldNames } from "./typed-names.js";

const svc = (ctx: GraphQLContext) => ctx.services.records;

/** A record id as callers may give it: the REST id (`rec_...`) or the Record's global id. */
export function toRecordId(id: string): string {
  if (id.startsWith(RECORD_PREFIX)) return id;
  const decoded = Buffer.from(id, "base64").toString("utf8");
  return decoded.startsWith("Record:") ? recordRestId(decoded.slice("Record:".length)) : id;
}

/** A reference target: a record (`rec_`/global id) or a user (`usr_`/User global id). */
export function toTargetId(id: string): string {
  if (id.startsWith(RECORD_PREFIX) || id.startsWith(USER_PREFIX)) return id;
  const decoded = Buffer.from(id, "base64").toString("utf8");
  if (decoded.startsWith("User:")) return userRestId(decoded.slice("User:".length));
  return toRecordId(id);
}

const FieldTypeEnum = builder.enumType("FieldType", {
  values: Object.fromEntries(FIELD_TYPES.map((t) => [t.toUpperCase(), { value: t }])),
});
const RelationshipTypeEnum = builder.enumType("RelationshipType", {
  values: { MANY_TO_ONE: { value: "many_to_one" }, MANY_TO_MANY: { value: "many_to_many" } } as const,
});
const PrivacyLevelEnum = builder.enumType("PrivacyLevel", {
  description:
    "ACCOUNT: the whole organisation; TEAM: creator, users in its user fields, owners and admins; PRIVATE: the creator.",
  values: Object.fromEntries(PRIVACY_LEVELS.map((p) => [p.toUpperCase(), { value: p }])),
});
const ReferenceTargetTypeEnum = builder.enumType("ReferenceTargetType", {
  values: { MODULE: { value: "module" }, USER: { value: "user" } } as const,
});
const FilterOperatorEnum = builder.enumType("FilterOperator", {
  values: Object.fromEntries(
    OPERATORS.map((op) => [op.replace(/([A-Z])/g, "_$1").toUpperCase(), { value: op }]),
  ),
});
const FilterConjunctionEnum = builder.enumType("FilterConjunction", {
  values: { AND: { value: "AND" }, OR: { value: "OR" } } as const,
});
const SortDirectionEnum = builder.enumType("SortDirection", {
  values: { ASC: { value: "asc" }, DESC: { value: "desc" } } as const,
});
const TrashedFilterEnum = builder.enumType("TrashedFilter", {
  description: "EXCLUDE (default): live records; ONLY: the trash; INCLUDE: both.",
  values: { EXCLUDE: { value: "exclude" }, ONLY: { value: "only" }, INCLUDE: { value: "include" } } as const,
});

/** A field definition with its name in the typed graph (typed-names.ts). */
type NamedFieldDefinition = FieldDefinition & { graphqlName: string };
const FieldDefinitionRef = builder.objectRef<NamedFieldDefinition>("FieldDefinition");
FieldDefinitionRef.implement({
  fields: (t) => ({
    slug: t.exposeString("slug"),
    graphqlName: t.exposeString("graphqlName", {
      description: "The field's name on its module's type in the typed graph (docs/graph.md).",
    }),
    label: t.exposeString("label"),
    type: t.field({ type: FieldTypeEnum, resolve: (f) => f.type }),
    required: t.exposeBoolean("required"),
    options: t.stringList({ nullable: true, resolve: (f) => f.options ?? null }),
    targetModuleSlug: t.string({ nullable: true, resolve: (f) => f.targetModuleSlug ?? null }),
    relationshipType: t.field({
      type: RelationshipTypeEnum,
      nullable: true,
      resolve: (f) => f.relationshipType ?? null,
    }),
  }),
});

export const ModuleRef = builder.objectRef<ModuleDef>("Module");
const ReferenceDefinitionRef = builder.objectRef<ReferenceDefinition>("ReferenceDefinition");
export const RecordRef = builder.objectRef<RecordRow>("Record");

const RecordConnection = builder.connectionObject({
  type: RecordRef,
  name: "RecordConnection",
  fields: (t) => ({
    totalCount: t.int({
      resolve: (connection) => (connection as unknown as RecordConnectionResult).totalCount(),
    }),
  }),
});

ReferenceDefinitionRef.implement({
  fields: (t) => ({
    slug: t.exposeString("slug"),
    targetType: t.field({ type: ReferenceTargetTypeEnum, resolve: (r) => r.targetType }),
    targetModuleSlug: t.exposeString("targetModuleSlug", { nullable: true }),
    targetModule: t.field({
      type: ModuleRef,
      nullable: true,
      resolve: (r, _args, ctx) => (r.targetModuleSlug ? svc(ctx).modules.find(r.targetModuleSlug) : null),
    }),
    relationshipType: t.field({ type: RelationshipTypeEnum, resolve: (r) => r.relationshipType }),
  }),
});

const RecordFilterCondition = builder.inputType("RecordFilterCondition", {
  fields: (t) => ({
    fieldSlug: t.string({ required: true, description: "A field slug of the module, or a core field." }),
    operator: t.field({ type: FilterOperatorEnum, required: true }),
    value: t.field({ type: "JSON", description: "The operand of single-value operators." }),
    values: t.field({ type: ["JSON"], description: "The operands of IN, NOT_IN and BETWEEN." }),
  }),
});

type ConditionInput = { fieldSlug: string; operator: string; value?: unknown; values?: unknown[] | null };
type FilterInput = {
  conjunction?: string | null;
  conditions?: unknown[] | null;
  groups?: FilterInput[] | null;
};
const RecordFilter = builder.inputRef<FilterInput>("RecordFilter").implement({
  description: "The advanced filter tree: conditions and nested groups joined by one conjunction.",
  fields: (t) => ({
    conjunction: t.field({ type: FilterConjunctionEnum, defaultValue: "AND" }),
    conditions: t.field({ type: [RecordFilterCondition] }),
    groups: t.field({ type: [RecordFilter] }),
  }),
});

/** The GraphQL filter as the REST advancedFilter tree, so one parser checks both. */
function filterTree(input: FilterInput): Record<string, unknown> {
  return {
    conjunction: input.conjunction ?? "AND",
    conditions: [
      ...((input.conditions ?? []) as ConditionInput[]).map((c) => ({
        fieldSlug: c.fieldSlug,
        operator: c.operator,
        ...(c.value !== undefined && c.value !== null ? { value: c.value } : {}),
        ...(c.values ? { values: c.values } : {}),
      })),
      ...(input.groups ?? []).map(filterTree),
    ],
  };
}

const RecordOrder = builder.inputType("RecordOrder", {
  fields: (t) => ({
    field: t.string({
      required: true,
      description: "A field slug or a core field (created_at, updated_at, displayName).",
    }),
    direction: t.field({ type: SortDirectionEnum, defaultValue: "asc" }),
  }),
});

builder.node(ModuleRef, {
  description: "A module of records (contacts, deals...) with its field schema.",
  id: { resolve: (m) => m.id },
  loadOne: (id, ctx) => svc(ctx).modules.byId(id),
  isTypeOf: (value) => typeof value === "object" && value !== null && "subtitleFields" in value,
  fields: (t) => ({
    moduleId: t.string({
      description: "The module's id in REST payloads (mod_...).",
      resolve: (m) => `mod_${m.id}`,
    }),
    slug: t.exposeString("slug"),
    name: t.exposeString("name"),
    typeName: t.string({
      description: "The object type of this module's records in the typed graph (docs/graph.md).",
      resolve: async (m, _args, ctx) => {
        // Imported when first asked: the typed graph is built on the finished static schema.
        const { typedNames } = await import("../graphql/organization-schema.js");
        const modules = await svc(ctx).modules.list();
        const names = typedNames(modules.some((x) => x.id === m.id) ? modules : [...modules, m]);
        return names.get(m.id)!.typeName;
      },
    }),
    fields: t.field({
      type: [FieldDefinitionRef],
      resolve: (m) => {
        const names = fieldNames(m.fields);
        return m.fields.map((f) => ({ ...f, graphqlName: names.get(f.slug)! }));
      },
    }),
    displayFields: t.exposeStringList("displayFields"),
    subtitleFields: t.exposeStringList("subtitleFields"),
    references: t.field({ type: [ReferenceDefinitionRef], resolve: (m) => referencesOf(m) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    records: t.connection(
      {
        type: RecordRef,
        args: {
          offset: t.arg.int(),
          search: t.arg.string(),
          filter: t.arg({ type: RecordFilter }),
          labelIds: t.arg.stringList(),
          typeIds: t.arg.stringList(),
          orderBy: t.arg({ type: [RecordOrder] }),
          trashed: t.arg({ type: TrashedFilterEnum }),
        },
        resolve: async (module, args, ctx, info) =>
          svc(ctx).connection(
            module,
            {
              first: args.first,
              after: args.after,
              last: args.last,
              before: args.before,
              offset: args.offset,
              search: args.search,
              filter: args.filter ? filterTree(args.filter) : undefined,
              labelIds: args.labelIds,
              typeIds: args.typeIds,
              orderBy: args.orderBy?.map((o) => ({ field: o.field, direction: o.direction ?? "asc" })),
              trashed: args.trashed,
            },
            // The total rides along with the page (one statement) only when someone reads it.
            { withTotal: selects(info, "totalCount") },
          ),
      },
      RecordConnection,
    ),
  }),
});

/** Whether the field being resolved selects `name` directly (through fragments too). */
export function selects(info: GraphQLResolveInfo, name: string): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}

async function moduleOf(row: RecordRow, ctx: GraphQLContext): Promise<ModuleDef> {
  const module = await svc(ctx).modules.byId(row.moduleId);
  if (!module) throw new Error(`record ${row.id} has no module`);
  return module;
}

builder.node(RecordRef, {
  description: "A record of a module.",
  id: { resolve: (r) => r.id },
  loadMany: async (ids, ctx) =>
    (await svc(ctx).loaders.record.loadMany(ids)).map((row) => (row instanceof Error ? null : row)),
  isTypeOf: (value) => typeof value === "object" && value !== null && "displayNameAuto" in value,
  fields: (t) => ({
    recordId: t.string({
      description: "The record's id in REST payloads (rec_...).",
      resolve: (r) => recordRestId(r.id),
    }),
    moduleSlug: t.string({ resolve: async (r, _a, ctx) => (await moduleOf(r, ctx)).slug }),
    module: t.field({ type: ModuleRef, resolve: (r, _a, ctx) => moduleOf(r, ctx) }),
    displayName: t.exposeString("displayName"),
    fields: t.field({
      type: "JSONObject",
      description: "Field values keyed by field slug.",
      resolve: async (r, _a, ctx) => {
        const module = await moduleOf(r, ctx);
        const stored = r.fields as Record<string, unknown>;
        return Object.fromEntries(
          module.fields.filter((f) => stored[f.slug] !== undefined).map((f) => [f.slug, stored[f.slug]]),
        );
      },
    }),
    labelIds: t.exposeStringList("labelIds"),
    typeIds: t.exposeStringList("typeIds"),
    privacyLevel: t.field({
      type: PrivacyLevelEnum,
      resolve: (r) => r.privacyLevel as (typeof PRIVACY_LEVELS)[number],
    }),
    descriptionHtml: t.exposeString("descriptionHtml", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    createdBy: t.field({
      type: UserRef,
      nullable: true,
      // An id: the User node's own loader batches every user of the response in one statement.
      resolve: (r) => r.createdById,
    }),
    updatedBy: t.field({
      type: UserRef,
      nullable: true,
      resolve: (r) => r.updatedById,
    }),
    version: t.exposeInt("version"),
    deletedAt: t.expose("deletedAt", { type: "DateTime", nullable: true }),
    linked: t.connection(
      {
        type: RecordRef,
        description: "The live records this record links to through a reference field.",
        args: { reference: t.arg.string({ required: true }) },
        resolve: async (r, args, ctx) => {
          const module = await moduleOf(r, ctx);
          const field = module.fields.find((f) => f.slug === args.reference && f.type === "reference");
          if (module.fields.some((f) => f.slug === args.reference && f.type === "user")) {
            // A RecordConnection holds records; user targets are read from `fields` (usr_ ids).
            throw new ValidationError(
              `reference: "${args.reference}" targets users, not records; its user ids are in fields.${args.reference}`,
              [{ field: "reference", message: `"${args.reference}" is a user reference` }],
            );
          }
          if (!field) {
            throw new ValidationError(
              `reference: no record reference "${args.reference}" in module ${module.slug}`,
              [{ field: "reference", message: `no record reference "${args.reference}"` }],
            );
          }
          const items = await svc(ctx).loadLinked(r, field);
          const rows = items.flatMap((i) => (i?.row ? [i.row] : []));
          const connection = resolveArrayConnection({ args }, rows);
          return { ...connection, totalCount: async () => rows.length } as unknown as typeof connection;
        },
      },
      RecordConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  modules: t.connection({
    type: ModuleRef,
    description: "The organisation's modules, by slug.",
    resolve: async (_root, args, ctx) => resolveArrayConnection({ args }, await svc(ctx).modules.list()),
  }),
  module: t.field({
    type: ModuleRef,
    nullable: true,
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, { slug }, ctx) => svc(ctx).modules.find(slug),
  }),
}));

// ---------------------------------------------------------------------------------------------
// Mutations

const FieldDefinitionInput = builder.inputType("FieldDefinitionInput", {
  fields: (t) => ({
    slug: t.string({ required: true }),
    label: t.string({ required: true }),
    type: t.field({ type: FieldTypeEnum, required: true }),
    required: t.boolean({ defaultValue: false }),
    options: t.stringList(),
    targetModuleSlug: t.string(),
    relationshipType: t.field({ type: RelationshipTypeEnum }),
  }),
});

const moduleInputFields = (required: boolean) =>
  builder.inputType(required ? "CreateModuleInput" : "UpdateModuleInput", {
    fields: (t) => ({
      slug: t.string({ required: true }),
      name: t.string({ required }),
      fields: t.field({ type: [FieldDefinitionInput], required }),
      displayFields: t.stringList(),
      subtitleFields: t.stringList(),
    }),
  });
const CreateModuleInput = moduleInputFields(true);
const UpdateModuleInput = moduleInputFields(false);
const DeleteModuleInput = builder.inputType("DeleteModuleInput", {
  fields: (t) => ({ slug: t.string({ required: true }) }),
});

type FieldInput = {
  slug: string;
  label: string;
  type: string;
  required?: boolean | null;
  options?: string[] | null;
  targetModuleSlug?: string | null;
  relationshipType?: string | null;
};
const fieldInputs = (fields: FieldInput[] | null | undefined) =>
  fields?.map((f) => ({
    slug: f.slug,
    label: f.label,
    type: f.type as FieldDefinition["type"],
    required: f.required ?? false,
    ...(f.options ? { options: f.options } : {}),
    ...(f.targetModuleSlug ? { targetModuleSlug: f.targetModuleSlug } : {}),
    ...(f.relationshipType ? { relationshipType: f.relationshipType as "many_to_one" } : {}),
  }));
const undef = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

const CreateRecordInput = builder.inputType("CreateRecordInput", {
  fields: (t) => ({
    moduleSlug: t.string({ required: true }),
    displayName: t.string(),
    fields: t.field({ type: "JSONObject" }),
    labelIds: t.stringList(),
    typeIds: t.stringList(),
    privacyLevel: t.field({ type: PrivacyLevelEnum }),
    descriptionHtml: t.string(),
  }),
});
const UpdateRecordInput = builder.inputType("UpdateRecordInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The Record's global id or its recordId (rec_...)." }),
    expectedVersion: t.int({ description: "Fails with CONFLICT unless the record is at this version." }),
    displayName: t.string(),
    fields: t.field({ type: "JSONObject", description: "Fields to change; null clears a field." }),
    labelIds: t.stringList({ description: "Replaces all labels." }),
    typeIds: t.stringList({ description: "Replaces all types." }),
    privacyLevel: t.field({ type: PrivacyLevelEnum }),
    descriptionHtml: t.string(),
  }),
});
const recordIdInput = (name: string) =>
  builder.inputType(name, {
    fields: (t) => ({ id: t.id({ required: true, description: "The Record's global id or its recordId." }) }),
  });
const DeleteRecordInput = recordIdInput("DeleteRecordInput");
const RestoreRecordInput = recordIdInput("RestoreRecordInput");
const PurgeRecordInput = recordIdInput("PurgeRecordInput");
const BulkUpdateRecordsInput = builder.inputType("BulkUpdateRecordsInput", {
  fields: (t) => ({
    moduleSlug: t.string({ required: true }),
    recordIds: t.idList({ required: true, description: "At most 100." }),
    addLabelIds: t.stringList(),
    removeLabelIds: t.stringList(),
    addTypeIds: t.stringList(),
    removeTypeIds: t.stringList(),
  }),
});
const recordIdsInput = (name: string) =>
  builder.inputType(name, {
    fields: (t) => ({
      moduleSlug: t.string({ required: true }),
      recordIds: t.idList({ required: true, description: "At most 100." }),
    }),
  });
const BulkDeleteRecordsInput = recordIdsInput("BulkDeleteRecordsInput");
const BulkRestoreRecordsInput = recordIdsInput("BulkRestoreRecordsInput");
const EmptyTrashInput = builder.inputType("EmptyTrashInput", {
  fields: (t) => ({ moduleSlug: t.string({ required: true }) }),
});
const SetRecordReferenceInput = builder.inputType("SetRecordReferenceInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The record whose reference changes." }),
    reference: t.string({ required: true, description: "The reference field's slug." }),
    targetIds: t.idList({
      required: true,
      description: "Records (rec_/global ids) or users (usr_/global ids); [] clears.",
    }),
    expectedVersion: t.int(),
  }),
});

/** A payload object of plain fields: name → GraphQL type of each field. */
function payload<T extends Record<string, string | number>>(
  name: string,
  kinds: { [K in keyof T]: "Int" | "String" | "ID" },
) {
  const ref = builder.objectRef<T>(name);
  ref.implement({
    fields: (t) =>
      Object.fromEntries(
        Object.entries(kinds).map(([field, kind]) => [
          field,
          t.field({ type: kind as "String", resolve: (p) => p[field] as string }),
        ]),
      ),
  });
  return ref;
}
const DeleteModulePayload = payload<{ slug: string; deletedModuleId: string }>("DeleteModulePayload", {
  slug: "String",
  deletedModuleId: "ID",
});
const BulkUpdateRecordsPayload = builder.objectRef<{ records: RecordRow[] }>("BulkUpdateRecordsPayload");
BulkUpdateRecordsPayload.implement({
  fields: (t) => ({ records: t.field({ type: [RecordRef], resolve: (p) => p.records }) }),
});
const BulkDeleteRecordsPayload = payload<{ deleted: number; skipped: number }>("BulkDeleteRecordsPayload", {
  deleted: "Int",
  skipped: "Int",
});
const BulkRestoreRecordsPayload = payload<{ restored: number; skipped: number }>(
  "BulkRestoreRecordsPayload",
  {
    restored: "Int",
    skipped: "Int",
  },
);
const PurgeRecordPayload = payload<{ purgedRecordId: string }>("PurgeRecordPayload", {
  purgedRecordId: "String",
});
const EmptyTrashPayload = payload<{ purged: number }>("EmptyTrashPayload", { purged: "Int" });

const moduleSlugOf = async (ctx: GraphQLContext, id: string) =>
  (await svc(ctx).locate(toRecordId(id))).module.slug;

builder.mutationFields((t) => ({
  createModule: t.field({
    type: ModuleRef,
    args: { input: t.arg({ type: CreateModuleInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).modules.create({
        slug: input.slug,
        name: input.name ?? "",
        fields: fieldInputs(input.fields) ?? [],
        displayFields: undef(input.displayFields),
        subtitleFields: undef(input.subtitleFields),
      }),
  }),
  updateModule: t.field({
    type: ModuleRef,
    args: { input: t.arg({ type: UpdateModuleInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).modules.update({
        slug: input.slug,
        name: undef(input.name),
        fields: fieldInputs(input.fields),
        displayFields: undef(input.displayFields),
        subtitleFields: undef(input.subtitleFields),
      }),
  }),
  deleteModule: t.field({
    type: DeleteModulePayload,
    args: { input: t.arg({ type: DeleteModuleInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const module = await svc(ctx).modules.delete(input.slug);
      return { slug: module.slug, deletedModuleId: Buffer.from(`Module:${module.id}`).toString("base64") };
    },
  }),
  createRecord: t.field({
    type: RecordRef,
    args: { input: t.arg({ type: CreateRecordInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).create(input.moduleSlug, {
        displayName: undef(input.displayName),
        fields: undef(input.fields),
        labelIds: undef(input.labelIds),
        typeIds: undef(input.typeIds),
        privacyLevel: undef(input.privacyLevel) as (typeof PRIVACY_LEVELS)[number] | undefined,
        descriptionHtml: input.descriptionHtml,
      }),
  }),
  updateRecord: t.field({
    type: RecordRef,
    args: { input: t.arg({ type: UpdateRecordInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const id = toRecordId(String(input.id));
      return svc(ctx).update(await moduleSlugOf(ctx, id), id, {
        displayName: undef(input.displayName),
        fields: undef(input.fields),
        labelIds: undef(input.labelIds),
        typeIds: undef(input.typeIds),
        privacyLevel: undef(input.privacyLevel) as (typeof PRIVACY_LEVELS)[number] | undefined,
        descriptionHtml: input.descriptionHtml,
        version: undef(input.expectedVersion),
      });
    },
  }),
  deleteRecord: t.field({
    type: RecordRef,
    description: "Moves a record to the trash; the result carries its deletedAt.",
    args: { input: t.arg({ type: DeleteRecordInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const id = toRecordId(String(input.id));
      return svc(ctx).delete(await moduleSlugOf(ctx, id), id);
    },
  }),
  restoreRecord: t.field({
    type: RecordRef,
    args: { input: t.arg({ type: RestoreRecordInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const id = toRecordId(String(input.id));
      return svc(ctx).restore(await moduleSlugOf(ctx, id), id);
    },
  }),
  purgeRecord: t.field({
    type: PurgeRecordPayload,
    args: { input: t.arg({ type: PurgeRecordInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const id = toRecordId(String(input.id));
      await svc(ctx).purge(await moduleSlugOf(ctx, id), id);
      return { purgedRecordId: id };
    },
  }),
  bulkUpdateRecords: t.field({
    type: BulkUpdateRecordsPayload,
    args: { input: t.arg({ type: BulkUpdateRecordsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      records: await svc(ctx).bulkUpdate(input.moduleSlug, {
        recordIds: input.recordIds.map((id) => toRecordId(String(id))),
        addLabelIds: undef(input.addLabelIds),
        removeLabelIds: undef(input.removeLabelIds),
        addTypeIds: undef(input.addTypeIds),
        removeTypeIds: undef(input.removeTypeIds),
      }),
    }),
  }),
  bulkDeleteRecords: t.field({
    type: BulkDeleteRecordsPayload,
    args: { input: t.arg({ type: BulkDeleteRecordsInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).bulkDelete(input.moduleSlug, {
        recordIds: input.recordIds.map((id) => toRecordId(String(id))),
      }),
  }),
  bulkRestoreRecords: t.field({
    type: BulkRestoreRecordsPayload,
    args: { input: t.arg({ type: BulkRestoreRecordsInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).bulkRestore(input.moduleSlug, {
        recordIds: input.recordIds.map((id) => toRecordId(String(id))),
      }),
  }),
  emptyTrash: t.field({
    type: EmptyTrashPayload,
    args: { input: t.arg({ type: EmptyTrashInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ purged: await svc(ctx).emptyTrash(input.moduleSlug) }),
  }),
  setRecordReference: t.field({
    type: RecordRef,
    args: { input: t.arg({ type: SetRecordReferenceInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      svc(ctx).setReference(
        toRecordId(String(input.id)),
        input.reference,
        input.targetIds.map((id) => toTargetId(String(id))),
        undef(input.expectedVersion),
      ),
  }),
}));
