// Data connections, their semantic models, semantic SQL and SQL execution in the graph, over the
// same services as /api/v1/exec and /api/v1/semantic-layer, so both transports answer alike.
// A connection's URL (credentials included) is write-only: no field ever returns it.
import { CatalogAssetRef } from "../catalog/catalog.graphql.js";
import { NotFoundError } from "../errors.js";
import type { DataConnection } from "../exec/connections.store.js";
import type { ResultSet } from "../exec/execution.service.js";
import type { ParamValue } from "../exec/sql-params.js";
import { builder } from "../graphql/builder.js";
import type {
  DimensionDef,
  LayerDef,
  MeasureDef,
  RelationshipDef,
  SemanticModelDocument,
} from "./semantic.model.js";
import { findEntity } from "./semantic.model.js";
import type { LocatedModelEntity } from "./semantic.service.js";

type ModelRoot = { connectionId: string; model: SemanticModelDocument };
type LayerRoot = ModelRoot & { layer: LayerDef };
type DomainRoot = LayerRoot & { domain: LayerDef["domains"][number] };
type RelationshipRoot = ModelRoot & { relationship: RelationshipDef };
type GqlResultSet = ResultSet & { sql?: string };

// ---- result sets -------------------------------------------------------------------------------

const ResultColumnRef = builder.objectRef<{ name: string; type: string }>("ResultColumn");
ResultColumnRef.implement({
  fields: (t) => ({
    name: t.exposeString("name"),
    type: t.exposeString("type", { description: "INTEGER, BIGINT, DECIMAL, DOUBLE, STRING, DATE, ..." }),
  }),
});

const ExecutionStatsRef = builder.objectRef<ResultSet["stats"]>("ExecutionStats");
ExecutionStatsRef.implement({
  fields: (t) => ({
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime" }),
    durationMs: t.exposeInt("durationMs"),
  }),
});

export const ResultSetRef = builder.objectRef<GqlResultSet>("ResultSet");
ResultSetRef.implement({
  description: "One result set: the same columns, rows and stats as POST /api/v1/exec/sql.",
  fields: (t) => ({
    columns: t.field({ type: [ResultColumnRef], resolve: (r) => r.columns }),
    rows: t.field({
      type: ["JSON"],
      description: "Each row an array of values in column order (numbers, strings, booleans, null).",
      resolve: (r) => r.rows,
    }),
    stats: t.field({ type: ExecutionStatsRef, resolve: (r) => r.stats }),
    truncated: t.boolean({
      description: "True when the row cap cut the result.",
      resolve: (r) => r.truncated,
    }),
    sql: t.string({
      nullable: true,
      description: "The statement that ran, for semantic queries; null otherwise.",
      resolve: (r) => r.sql ?? null,
    }),
  }),
});

// ---- the semantic model ------------------------------------------------------------------------

const SemanticDimensionRef = builder.objectRef<DimensionDef>("SemanticDimension");
SemanticDimensionRef.implement({
  fields: (t) => ({
    name: t.exposeString("name"),
    label: t.string({ nullable: true, resolve: (d) => d.label ?? null }),
    dataType: t.exposeString("data_type"),
    hidden: t.exposeBoolean("hidden"),
    expr: t.exposeString("expr"),
  }),
});

const SemanticMeasureRef = builder.objectRef<MeasureDef>("SemanticMeasure");
SemanticMeasureRef.implement({
  fields: (t) => ({
    name: t.exposeString("name"),
    label: t.string({ nullable: true, resolve: (m) => m.label ?? null }),
    dataType: t.exposeString("data_type"),
    hidden: t.exposeBoolean("hidden"),
    expr: t.exposeString("expr"),
    aggregationType: t.exposeString("aggregation_type"),
  }),
});

const SemanticEntityRef = builder.objectRef<LocatedModelEntity>("SemanticEntity");
const SemanticRelationshipRef = builder.objectRef<RelationshipRoot>("SemanticRelationship");

SemanticRelationshipRef.implement({
  fields: (t) => ({
    name: t.string({ resolve: (r) => r.relationship.name }),
    joinType: t.string({
      description: "ONE_TO_ONE, ONE_TO_MANY or MANY_TO_ONE.",
      resolve: (r) => r.relationship.join_type,
    }),
    expr: t.string({ resolve: (r) => r.relationship.expr }),
    toEntity: t.field({
      type: SemanticEntityRef,
      // Models are validated on write: to_entity always names an entity of the same layer.
      resolve: (r) => {
        const found = findEntity(r.model, r.relationship.to_entity);
        if (!found) throw new Error(`Unknown to_entity ${r.relationship.to_entity}`);
        return { connectionId: r.connectionId, model: r.model, ...found };
      },
    }),
  }),
});

builder.node(SemanticEntityRef, {
  description: "An entity of a semantic model; its id names the connection and the entity.",
  id: { resolve: (e) => `${e.connectionId}:${e.entity.name}` },
  loadOne: (id, ctx) => {
    const at = id.indexOf(":");
    return at < 0 ? null : ctx.services.semantic.entity(id.slice(0, at), id.slice(at + 1));
  },
  isTypeOf: (value) =>
    typeof value === "object" && value !== null && "entity" in value && "connectionId" in value,
  fields: (t) => ({
    name: t.string({ resolve: (e) => e.entity.name }),
    label: t.string({ nullable: true, resolve: (e) => e.entity.label ?? null }),
    description: t.string({ nullable: true, resolve: (e) => e.entity.description ?? null }),
    tableName: t.string({ nullable: true, resolve: (e) => e.entity.table_name ?? null }),
    query: t.string({
      nullable: true,
      description: "The entity's SQL when it has no table.",
      resolve: (e) => e.entity.query ?? null,
    }),
    dimensions: t.field({ type: [SemanticDimensionRef], resolve: (e) => e.entity.dimensions }),
    measures: t.field({ type: [SemanticMeasureRef], resolve: (e) => e.entity.measures }),
    relationships: t.field({
      type: [SemanticRelationshipRef],
      resolve: (e) =>
        e.entity.relationships.map((relationship) => ({
          connectionId: e.connectionId,
          model: e.model,
          relationship,
        })),
    }),
  }),
});

const SemanticDomainRef = builder.objectRef<DomainRoot>("SemanticDomain");
SemanticDomainRef.implement({
  fields: (t) => ({
    name: t.string({ resolve: (d) => d.domain.name }),
    label: t.string({ nullable: true, resolve: (d) => d.domain.label ?? null }),
    description: t.string({ nullable: true, resolve: (d) => d.domain.description ?? null }),
    entities: t.field({
      type: [SemanticEntityRef],
      resolve: (d) =>
        d.domain.entities.map((entity) => ({
          connectionId: d.connectionId,
          model: d.model,
          layer: d.layer,
          entity,
        })),
    }),
  }),
});

const SemanticLayerRef = builder.objectRef<LayerRoot>("SemanticLayer");
SemanticLayerRef.implement({
  fields: (t) => ({
    name: t.string({ resolve: (l) => l.layer.name }),
    label: t.string({ nullable: true, resolve: (l) => l.layer.label ?? null }),
    platform: t.string({
      description: "postgres, snowflake, bigquery, databricks or duckdb.",
      resolve: (l) => l.layer.environment.platform,
    }),
    domains: t.field({
      type: [SemanticDomainRef],
      resolve: (l) => l.layer.domains.map((domain) => ({ ...l, domain })),
    }),
  }),
});

const SemanticModelRef = builder.objectRef<ModelRoot>("SemanticModel");
SemanticModelRef.implement({
  description: "The semantic model of a connection, as GET /api/v1/semantic-layer/metadata returns it.",
  fields: (t) => ({
    version: t.string({ resolve: (m) => m.model.version }),
    layers: t.field({
      type: [SemanticLayerRef],
      resolve: (m) => m.model.layers.map((layer) => ({ ...m, layer })),
    }),
  }),
});

// ---- data connections --------------------------------------------------------------------------

const DataConnectionRef = builder.objectRef<DataConnection>("DataConnection");
DataConnectionRef.implement({
  description: "A named connection of the organisation. Its URL and credentials are never returned.",
  fields: (t) => ({
    name: t.exposeString("name"),
    platform: t.exposeString("platform"),
    defaultSchema: t.exposeString("defaultSchema", { nullable: true }),
    runAsRole: t.exposeString("runAsRole", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    semanticModel: t.field({
      type: SemanticModelRef,
      nullable: true,
      description: "Null when the connection has no model. Needs semantic:read.",
      resolve: async (connection, _args, ctx) => {
        const model = await ctx.services.semantic.documentOf(connection.id);
        return model ? { connectionId: connection.id, model } : null;
      },
    }),
  }),
});

// ---- inputs ------------------------------------------------------------------------------------

const SemanticFieldRefInput = builder.inputType("SemanticFieldRefInput", {
  fields: (t) => ({
    entity: t.string({ required: true }),
    field: t.string({ required: true }),
    alias: t.string(),
  }),
});

const SemanticFilterOperatorInput = builder.inputType("SemanticFilterOperatorInput", {
  fields: (t) => ({
    type: t.string({ required: true, description: "EQUALS, GREATER_THAN, IN_DATE_RANGE, ... (seed 003)." }),
    value: t.field({ type: "JSON", description: "A string, number or boolean." }),
    values: t.field({ type: ["JSON"] }),
  }),
});

type FilterGql = {
  type: string;
  field?: { entity: string; field: string; alias?: string | null } | null;
  operator?: typeof SemanticFilterOperatorInput.$inferInput | null;
  filters?: FilterGql[] | null;
};
const SemanticFilterInput = builder.inputRef<FilterGql>("SemanticFilterInput");
SemanticFilterInput.implement({
  description: "AND / OR with filters, or CONDITION with field and operator.",
  fields: (t) => ({
    type: t.string({ required: true }),
    field: t.field({ type: SemanticFieldRefInput }),
    // Cast: Pothos infers JSON inputs as unknown, which its recursive-input check rejects.
    operator: t.field({ type: SemanticFilterOperatorInput }) as never,
    filters: t.field({ type: [SemanticFilterInput] }),
  }),
});

const SemanticOrderByInput = builder.inputType("SemanticOrderByInput", {
  fields: (t) => ({
    field: t.field({ type: SemanticFieldRefInput, required: true }),
    desc: t.boolean(),
  }),
});

const SemanticLimitInput = builder.inputType("SemanticLimitInput", {
  fields: (t) => ({ fetch: t.int({ required: true }), skip: t.int() }),
});

const SemanticQuerySpecInput = builder.inputType("SemanticQuerySpecInput", {
  description: "The query of POST /api/v1/semantic-layer/codegen/sql (order_by is orderBy).",
  fields: (t) => ({
    dimensions: t.field({ type: [SemanticFieldRefInput] }),
    measures: t.field({ type: [SemanticFieldRefInput] }),
    filters: t.field({ type: [SemanticFilterInput] }),
    orderBy: t.field({ type: [SemanticOrderByInput] }),
    limit: t.field({ type: SemanticLimitInput }),
  }),
});

const SemanticQueryInput = builder.inputType("SemanticQueryInput", {
  description: "The body of POST /api/v1/semantic-layer/codegen/sql (connection_name is connectionName).",
  fields: (t) => ({
    connectionName: t.string({ description: "Omitted: the organisation's only semantic model." }),
    query: t.field({ type: SemanticQuerySpecInput, required: true }),
  }),
});

const ExecOverridesInput = builder.inputType("ExecConnectionOverridesInput", {
  fields: (t) => ({ database: t.string(), schema: t.string() }),
});

const ExecConnectionInput = builder.inputType("ExecConnectionInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    overrides: t.field({ type: ExecOverridesInput }),
  }),
});

const ExecuteSqlInput = builder.inputType("ExecuteSqlInput", {
  description: "The body of POST /api/v1/exec/sql.",
  fields: (t) => ({
    sql: t.string({ required: true }),
    params: t.field({ type: "JSONObject", description: 'Values by name: "$name", "$$name" or "name".' }),
    connection: t.field({ type: ExecConnectionInput, required: true }),
  }),
});

const CreateDataConnectionInput = builder.inputType("CreateDataConnectionInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    platform: t.string({ description: "postgres (the default and, today, the only one)." }),
    url: t.string({ required: true, description: "postgresql://user:password@host/db; stored encrypted." }),
    defaultSchema: t.string(),
    runAsRole: t.string(),
  }),
});

const UpdateDataConnectionInput = builder.inputType("UpdateDataConnectionInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "The connection's current name." }),
    newName: t.string(),
    url: t.string(),
    defaultSchema: t.string({ description: "null clears it." }),
    runAsRole: t.string({ description: "null clears it." }),
  }),
});

const DeleteDataConnectionInput = builder.inputType("DeleteDataConnectionInput", {
  fields: (t) => ({ name: t.string({ required: true }) }),
});

const DeleteDataConnectionPayload = builder.objectRef<{ name: string }>("DeleteDataConnectionPayload");
DeleteDataConnectionPayload.implement({ fields: (t) => ({ name: t.exposeString("name") }) });

const SetSemanticModelInput = builder.inputType("SetSemanticModelInput", {
  fields: (t) => ({
    connectionName: t.string({ required: true }),
    model: t.field({
      type: "JSONObject",
      required: true,
      description: "The document, in the shape of the metadata API ({ version, layers: [...] }).",
    }),
  }),
});

/** GraphQL's explicit nulls as absent keys, as the REST bodies would have them. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, dropNulls(v)]),
  );
}

/** The REST codegen body of a GraphQL SemanticQueryInput. */
export function codegenBody(input: {
  connectionName?: string | null;
  query: { orderBy?: unknown; [key: string]: unknown };
}): unknown {
  const { orderBy, ...query } = input.query;
  return dropNulls({
    connection_name: input.connectionName,
    query: { ...query, order_by: orderBy },
  });
}

// ---- fields ------------------------------------------------------------------------------------

builder.queryFields((t) => ({
  dataConnections: t.field({
    type: [DataConnectionRef],
    description: "The organisation's connections, by name.",
    resolve: (_root, _args, ctx) => ctx.services.connections.list(),
  }),
  dataConnection: t.field({
    type: DataConnectionRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) =>
      ctx.services.connections.get(name).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      }),
  }),
  semanticSql: t.string({
    description: "POST /api/v1/semantic-layer/codegen/sql: the SQL for the layer's platform.",
    args: { input: t.arg({ type: SemanticQueryInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      (await ctx.services.semantic.generateSql(codegenBody(input))).sql,
  }),
  semanticQuery: t.field({
    type: ResultSetRef,
    description: "Compiles the query for its connection (postgres layers), runs it and returns the rows.",
    args: { input: t.arg({ type: SemanticQueryInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.semantic.runQuery(codegenBody(input)),
  }),
}));

builder.mutationFields((t) => ({
  executeSql: t.field({
    type: ResultSetRef,
    description: "POST /api/v1/exec/sql: one read-only statement on a named connection.",
    args: { input: t.arg({ type: ExecuteSqlInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.execution.executeSql(
        dropNulls(input) as { sql: string; params?: Record<string, ParamValue> },
      ),
  }),
  createDataConnection: t.field({
    type: DataConnectionRef,
    args: { input: t.arg({ type: CreateDataConnectionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.connections.create(
        dropNulls(input) as Parameters<typeof ctx.services.connections.create>[0],
      ),
  }),
  updateDataConnection: t.field({
    type: DataConnectionRef,
    args: { input: t.arg({ type: UpdateDataConnectionInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.connections.update(input.name, {
        ...(input.newName != null ? { name: input.newName } : {}),
        ...(input.url != null ? { url: input.url } : {}),
        ...(input.defaultSchema !== undefined ? { defaultSchema: input.defaultSchema } : {}),
        ...(input.runAsRole !== undefined ? { runAsRole: input.runAsRole } : {}),
      }),
  }),
  deleteDataConnection: t.field({
    type: DeleteDataConnectionPayload,
    args: { input: t.arg({ type: DeleteDataConnectionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      name: (await ctx.services.connections.delete(input.name)).name,
    }),
  }),
  setSemanticModel: t.field({
    type: DataConnectionRef,
    description: "Creates or replaces the connection's semantic model (validated). Needs semantic:write.",
    args: { input: t.arg({ type: SetSemanticModelInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await ctx.services.semantic.setModel(input.connectionName, input.model);
      return ctx.services.connections.get(input.connectionName);
    },
  }),
}));

builder.objectField(CatalogAssetRef, "execute", (t) =>
  t.field({
    type: ResultSetRef,
    description: "Runs the asset's first statement on a named connection (as POST /api/v1/exec/script).",
    args: {
      connection: t.arg.string({ required: true, description: "The connection's name." }),
      params: t.arg({ type: "JSONObject", description: 'Values by name: "$name", "$$name" or "name".' }),
    },
    resolve: (entry, args, ctx) =>
      ctx.services.execution.executeAsset(
        entry,
        args.connection,
        (args.params ?? {}) as Record<string, ParamValue>,
      ),
  }),
);
