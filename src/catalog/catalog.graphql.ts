// The catalog in the graph: the same tree, paths and ETags as /api/v1/catalog, over the same
// CatalogService, so both transports answer alike (a missing path here is null, a failed
// change an error whose code names the REST status: NOT_FOUND, PRECONDITION_FAILED, ...).

import { builder } from "../graphql/builder.js";
import { pageSizeArgOptions } from "../graphql/connection-limits.js";
import { ProjectRef } from "../projects/projects.graphql.js";
import { decodeCursor, encodeCursor } from "./catalog.inputs.js";
import { type CatalogEntry, etagOf, MAX_PAGE_SIZE } from "./catalog.service.js";

const DEFAULT_PAGE_SIZE = 50;

function isCatalogEntry(value: unknown): value is CatalogEntry {
  return (
    typeof value === "object" &&
    value !== null &&
    "namespace" in value &&
    "revision" in value &&
    "kind" in value
  );
}

const CatalogItemType = builder.enumType("CatalogItemType", {
  description: "The seed's asset types; this gateway stores folders, SQL scripts and CoginitiScripts.",
  values: [
    "REGULAR_FOLDER",
    "USER_HOME",
    "SCHEDULED_EVENTS",
    "PROJECT",
    "SQL_SCRIPT",
    "COGINITI_SCRIPT",
    "UPLOAD_TEMPLATE",
    "DATA_INSERT_TEMPLATE",
    "PROJECT_MANIFEST",
  ] as const,
});

const CatalogFolderType = builder.enumType("CatalogFolderType", {
  values: {
    REGULAR: { description: "A standard folder" },
    PROJECT: { description: "A CoginitiScript project" },
  },
});

export const CatalogItemRef = builder.interfaceRef<CatalogEntry>("CatalogItem");
export const CatalogFolderRef = builder.objectRef<CatalogEntry>("CatalogFolder");
export const CatalogAssetRef = builder.objectRef<CatalogEntry>("CatalogAsset");

CatalogItemRef.implement({
  description: "A folder or an asset of the catalog, addressed by its path (namespace first).",
  interfaces: [builder.nodeInterfaceRef()],
  resolveType: (entry) => (entry.kind === "FOLDER" ? "CatalogFolder" : "CatalogAsset"),
  fields: (t) => ({
    name: t.exposeString("name"),
    path: t.exposeString("path", { description: 'The full path, e.g. "@Shared/Reports/q1".' }),
    type: t.field({
      type: CatalogItemType,
      resolve: (entry) => entry.type as typeof CatalogItemType.$inferType,
    }),
    etag: t.string({
      nullable: true,
      description:
        'The version to send as ifMatch, e.g. "\\"3\\"". Null for namespace roots, which cannot change.',
      resolve: (entry) => (entry.revision === null ? null : etagOf(entry.revision)),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    parent: t.field({
      type: CatalogFolderRef,
      nullable: true,
      description: "The folder this item is in (a namespace root for top-level items); null for roots.",
      resolve: (entry, _args, ctx) => ctx.services.catalog.parentOf(entry),
    }),
  }),
});

const CatalogItemConnection = builder.connectionObject({
  type: CatalogItemRef,
  name: "CatalogItemConnection",
});

builder.node(CatalogFolderRef, {
  description: "A folder; namespace roots (@Personal, @Shared, @Project Hub) are folders too.",
  interfaces: [CatalogItemRef],
  id: { resolve: (entry) => entry.id },
  loadOne: async (id, ctx) => {
    const entry = await ctx.services.catalog.findById(id);
    return entry?.kind === "FOLDER" ? entry : null;
  },
  isTypeOf: (value) => isCatalogEntry(value) && value.kind === "FOLDER",
  fields: (t) => ({
    project: t.field({
      type: ProjectRef,
      nullable: true,
      description:
        "The project of a project folder (directly under @Project Hub); null for other folders. Requires projects:read.",
      resolve: (folder, _args, ctx) => ctx.services.catalog.projectIdOf(folder),
    }),
    children: t.field({
      type: CatalogItemConnection,
      description: `Direct children, folders first, then by name; at most ${MAX_PAGE_SIZE} per page.`,
      args: {
        // Refused above MAX_PAGE_SIZE by ConnectionLimitsPlugin, as on every connection.
        first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE, ...pageSizeArgOptions("first", MAX_PAGE_SIZE) }),
        after: t.arg.string(),
      },
      resolve: async (folder, args, ctx) => {
        const first = args.first ?? DEFAULT_PAGE_SIZE;
        const page = await ctx.services.catalog.children(folder, { first, after: decodeCursor(args.after) });
        const edges = page.items.map((node) => ({ cursor: encodeCursor(node), node }));
        return {
          edges,
          pageInfo: {
            hasNextPage: page.hasNextPage,
            hasPreviousPage: Boolean(args.after),
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    }),
  }),
});

builder.node(CatalogAssetRef, {
  description: "A SQL script or CoginitiScript.",
  interfaces: [CatalogItemRef],
  id: { resolve: (entry) => entry.id },
  loadOne: async (id, ctx) => {
    const entry = await ctx.services.catalog.findById(id);
    return entry?.kind === "ASSET" ? entry : null;
  },
  isTypeOf: (value) => isCatalogEntry(value) && value.kind === "ASSET",
  fields: (t) => ({
    description: t.exposeString("description", { nullable: true }),
    content: t.string({
      description: "The script (up to 15 MB).",
      resolve: async (entry, _args, ctx) => (await ctx.services.catalog.contentOf(entry)) ?? "",
    }),
  }),
});

builder.objectFields(ProjectRef, (t) => ({
  catalogFolder: t.field({
    type: CatalogFolderRef,
    nullable: true,
    description:
      "The project's folder, @Project Hub/<name>; null while the project is archived, or when the caller may not see it (requires catalog:read).",
    resolve: (project, _args, ctx) => ctx.services.catalog.folderOfProject(project.id),
  }),
}));

builder.queryFields((t) => ({
  catalogItem: t.field({
    type: CatalogItemRef,
    nullable: true,
    description: "The item at a path (not URL-encoded), or null when there is none the caller may see.",
    args: { path: t.arg.string({ required: true }) },
    resolve: (_root, { path }, ctx) => ctx.services.catalog.findByPath(path),
  }),
  catalogRoots: t.field({
    type: [CatalogFolderRef],
    description: "The namespace roots: @Personal (the caller's own), @Shared and @Project Hub.",
    resolve: (_root, _args, ctx) => ctx.services.catalog.roots(),
  }),
}));

const CreateCatalogFolderInput = builder.inputType("CreateCatalogFolderInput", {
  fields: (t) => ({
    parentPath: t.string({ required: true, description: "Starts with @Personal, @Shared or @Project Hub." }),
    name: t.string({ required: true, description: "At most 255 characters, no /." }),
    folderType: t.field({ type: CatalogFolderType, description: "REGULAR when omitted." }),
  }),
});

const CreateCatalogAssetInput = builder.inputType("CreateCatalogAssetInput", {
  fields: (t) => ({
    parentPath: t.string({ required: true }),
    name: t.string({ required: true }),
    content: t.string({ required: true, description: "At most 15 MB; its blocks decide the type." }),
    description: t.string(),
  }),
});

const UpdateCatalogFolderInput = builder.inputType("UpdateCatalogFolderInput", {
  fields: (t) => ({
    path: t.string({ required: true }),
    ifMatch: t.string({ required: true, description: "The folder's etag as read." }),
    name: t.string({ description: "The new name; every descendant's path follows." }),
  }),
});

const UpdateCatalogAssetInput = builder.inputType("UpdateCatalogAssetInput", {
  fields: (t) => ({
    path: t.string({ required: true }),
    ifMatch: t.string({ required: true, description: "The asset's etag as read." }),
    name: t.string(),
    content: t.string(),
    description: t.string(),
  }),
});

const DeleteCatalogItemInput = builder.inputType("DeleteCatalogItemInput", {
  fields: (t) => ({
    path: t.string({ required: true, description: "An asset, or an empty folder." }),
    ifMatch: t.string({ required: true }),
  }),
});

const DeleteCatalogItemPayload = builder.objectRef<CatalogEntry>("DeleteCatalogItemPayload");
DeleteCatalogItemPayload.implement({
  fields: (t) => ({
    deletedId: t.globalID({
      resolve: (entry) => ({
        type: entry.kind === "FOLDER" ? "CatalogFolder" : "CatalogAsset",
        id: entry.id,
      }),
    }),
    path: t.exposeString("path"),
  }),
});

builder.mutationFields((t) => ({
  createCatalogFolder: t.field({
    type: CatalogFolderRef,
    args: { input: t.arg({ type: CreateCatalogFolderInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.catalog.createFolder(input),
  }),
  createCatalogAsset: t.field({
    type: CatalogAssetRef,
    args: { input: t.arg({ type: CreateCatalogAssetInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.catalog.createAsset(input),
  }),
  updateCatalogFolder: t.field({
    type: CatalogFolderRef,
    description: "Renames a folder if ifMatch is its current etag (else PRECONDITION_FAILED).",
    args: { input: t.arg({ type: UpdateCatalogFolderInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.catalog.updateFolder(input.path, input.ifMatch, { name: input.name }),
  }),
  updateCatalogAsset: t.field({
    type: CatalogAssetRef,
    description: "Renames an asset and/or replaces its content if ifMatch is its current etag.",
    args: { input: t.arg({ type: UpdateCatalogAssetInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.catalog.updateAsset(input.path, input.ifMatch, {
        name: input.name,
        content: input.content,
        description: input.description,
      }),
  }),
  deleteCatalogItem: t.field({
    type: DeleteCatalogItemPayload,
    description: "Deletes an asset or an empty folder if ifMatch is its current etag.",
    args: { input: t.arg({ type: DeleteCatalogItemInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.catalog.deleteItem(input.path, input.ifMatch),
  }),
}));
