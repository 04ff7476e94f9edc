// The typed graph: an organisation's modules as GraphQL types of their own, merged into the
// static Pothos schema (docs/graph.md). Built with graphql-js type constructors rather than a
// Pothos builder per organisation: the static schema's types are reused as they are (Node,
// User, Module, PageInfo, the scalars), only Query and Mutation are new objects, and building 20
// modules of 30 fields takes milliseconds (npm run bench -- typed-schema). Every resolver goes
// through the request's RecordService, the same service the REST routes and the generic graph
// use, so the three cannot disagree.
import { encodeGlobalID, resolveArrayConnection } from "@pothos/plugin-relay";
import DataLoader from "dataloader";
import {
  GraphQLBoolean,
  GraphQLEnumType,
  type GraphQLEnumValueConfigMap,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigMap,
  GraphQLFloat,
  GraphQLID,
  type GraphQLInputFieldConfigMap,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLInt,
  type GraphQLInterfaceType,
  GraphQLList,
  type GraphQLNamedType,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  type SelectionSetNode,
} from "graphql";
import { LocalDateResolver } from "graphql-scalars";
import { sql } from "../db/sql.js";
import { NotFoundError, ValidationError } from "../errors.js";
import { MAX_PAGE_SIZE } from "../graphql/connection-limits.js";
import type { GraphQLContext } from "../graphql/context.js";
import type { User } from "../identity/users.store.js";
import type { FilterNode } from "./advanced-filter.js";
import { isMultiValued } from "./field-values.js";
import type { ModuleDef } from "./modules.store.js";
import { selects, toRecordId, toTargetId } from "./records.graphql.js";
import {
  type FieldDefinition,
  parsePrefixedId,
  RECORD_PREFIX,
  recordRestId,
  USER_PREFIX,
} from "./records.inputs.js";
import type { RecordConnectionResult, RecordRow } from "./records.service.js";
import { type FilterScope, type TypedFilterInput, typedFilter } from "./typed-filter.js";
import { enumValueNames, moduleNames, pascalCase, type TypedNames } from "./typed-names.js";

/** Input and scalar types every organisation's typed graph shares. */
export const SHARED_TYPE_NAMES = [
  "StringFilter",
  "FloatFilter",
  "BooleanFilter",
  "DateFilter",
  "DateTimeFilter",
  "IDFilter",
  "LocalDate",
] as const;

type Shared = {
  node: GraphQLInterfaceType;
  user: GraphQLObjectType;
  module: GraphQLObjectType;
  pageInfo: GraphQLObjectType;
  privacyLevel: GraphQLEnumType;
  sortDirection: GraphQLEnumType;
  dateTime: GraphQLScalarType;
  localDate: GraphQLScalarType;
  filters: Record<"string" | "float" | "boolean" | "date" | "dateTime" | "id", GraphQLInputObjectType>;
};

const sharedBySchema = new WeakMap<GraphQLSchema, Shared>();

const nonNull = <T extends GraphQLOutputType | GraphQLInputType>(type: T) => new GraphQLNonNull(type);
const listOf = <T extends GraphQLOutputType | GraphQLInputType>(type: T) =>
  new GraphQLList(new GraphQLNonNull(type));

function operatorInput(
  name: string,
  type: GraphQLInputType,
  operators: readonly string[],
  description: string,
): GraphQLInputObjectType {
  const fields: GraphQLInputFieldConfigMap = {};
  for (const op of operators) {
    fields[op] =
      op === "isNull"
        ? { type: GraphQLBoolean, description: "true: the value is absent; false: it is present." }
        : op === "in" || op === "notIn"
          ? { type: listOf(type) }
          : op === "between"
            ? { type: listOf(type), description: "[from, to], both included." }
            : { type };
  }
  return new GraphQLInputObjectType({ name, description, fields });
}

/** The static schema's types the typed graph uses, and the operator inputs built on them. */
function sharedTypes(staticSchema: GraphQLSchema): Shared {
  const found = sharedBySchema.get(staticSchema);
  if (found) return found;
  for (const name of SHARED_TYPE_NAMES) {
    if (staticSchema.getType(name)) throw new Error(`the static schema already has a type ${name}`);
  }
  const get = <T extends GraphQLNamedType>(name: string) => {
    const type = staticSchema.getType(name);
    if (!type) throw new Error(`the static schema has no type ${name}`);
    return type as T;
  };
  const dateTime = get<GraphQLScalarType>("DateTime");
  const localDate = LocalDateResolver;
  const ordered = ["eq", "neq", "gt", "gte", "lt", "lte", "in", "notIn", "between", "isNull"];
  const temporal = [...ordered.slice(0, -1), "before", "after", "isNull"];
  const shared: Shared = {
    node: get("Node"),
    user: get("User"),
    module: get("Module"),
    pageInfo: get("PageInfo"),
    privacyLevel: get("PrivacyLevel"),
    sortDirection: get("SortDirection"),
    dateTime,
    localDate,
    filters: {
      string: operatorInput(
        "StringFilter",
        GraphQLString,
        ["eq", "neq", "in", "notIn", "contains", "notContains", "startsWith", "endsWith", "isNull"],
        "Text comparisons; contains, startsWith and endsWith ignore case.",
      ),
      float: operatorInput("FloatFilter", GraphQLFloat, ordered, "Number comparisons."),
      boolean: operatorInput(
        "BooleanFilter",
        GraphQLBoolean,
        ["eq", "neq", "isNull"],
        "Boolean comparisons.",
      ),
      date: operatorInput("DateFilter", localDate, temporal, "Date comparisons (YYYY-MM-DD)."),
      dateTime: operatorInput("DateTimeFilter", dateTime, temporal, "Date-time comparisons."),
      id: operatorInput(
        "IDFilter",
        GraphQLID,
        ["eq", "neq", "in", "notIn", "isNull"],
        "Id comparisons: global ids or REST ids (rec_…, usr_…).",
      ),
    },
  };
  sharedBySchema.set(staticSchema, shared);
  return shared;
}

/** What the static schema already names: no module may take these. */
export function reservedNames(staticSchema: GraphQLSchema) {
  return {
    types: new Set([...Object.keys(staticSchema.getTypeMap()), ...SHARED_TYPE_NAMES]),
    queries: new Set(Object.keys(staticSchema.getQueryType()?.getFields() ?? {})),
    mutations: new Set(Object.keys(staticSchema.getMutationType()?.getFields() ?? {})),
  };
}

const reservedBySchema = new WeakMap<GraphQLSchema, ReturnType<typeof reservedNames>>();
const namesByModules = new WeakMap<readonly ModuleDef[], Map<string, TypedNames>>();

/** The typed names of an organisation's modules (cached per module list). */
export function typedNamesOf(
  staticSchema: GraphQLSchema,
  modules: readonly ModuleDef[],
): Map<string, TypedNames> {
  let names = namesByModules.get(modules);
  if (!names) {
    let reserved = reservedBySchema.get(staticSchema);
    if (!reserved) {
      reserved = reservedNames(staticSchema);
      reservedBySchema.set(staticSchema, reserved);
    }
    names = moduleNames(modules, reserved);
    namesByModules.set(modules, names);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Per-request loaders of the typed graph (users; records go through RecordService.loaders)

const userLoaders = new WeakMap<GraphQLContext, DataLoader<string, User | null>>();
function usersOf(ctx: GraphQLContext): DataLoader<string, User | null> {
  let loader = userLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids) => {
      const users = await ctx.services.users.byIds(ids);
      return ids.map((id) => users.find((u) => u.id === id) ?? null);
    });
    userLoaders.set(ctx, loader);
  }
  return loader;
}

const svc = (ctx: GraphQLContext) => ctx.services.records;

type ConnectionArgs = {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  filter?: TypedFilterInput | null;
  orderBy?: Array<{ field: string; direction?: "asc" | "desc" | null }> | null;
  search?: string | null;
};

function checkPageSize(args: ConnectionArgs): void {
  for (const name of ["first", "last"] as const) {
    const size = args[name];
    if (size != null && (size < 0 || size > MAX_PAGE_SIZE)) {
      throw new ValidationError(`${name} must be between 0 and ${MAX_PAGE_SIZE}`, [
        { field: name, message: `must be between 0 and ${MAX_PAGE_SIZE}` },
      ]);
    }
  }
}

/** Whether `node(id:)`'s selection wants the generic Record rather than the module's type. */
function wantsGenericRecord(info: GraphQLResolveInfo, typeName: string): boolean {
  const conditions = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, seen: Set<string>) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selection.typeCondition) conditions.add(selection.typeCondition.name.value);
        else visit(selection.selectionSet, seen);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD && !seen.has(selection.name.value)) {
        const fragment = info.fragments[selection.name.value];
        if (fragment) conditions.add(fragment.typeCondition.name.value);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet, new Set());
  return conditions.has("Record") && !conditions.has(typeName);
}

function isRecordRow(value: unknown): value is RecordRow {
  return typeof value === "object" && value !== null && "displayNameAuto" in value && "moduleId" in value;
}

type ModuleTypes = {
  names: TypedNames;
  object: GraphQLObjectType;
  connection: GraphQLObjectType;
  filter: GraphQLInputObjectType;
  order: GraphQLInputObjectType;
  create: GraphQLInputObjectType;
  update: GraphQLInputObjectType;
  remove: GraphQLInputObjectType;
  removed: GraphQLObjectType;
  /** GraphQL input value → stored field values, by slug. */
  fieldValues: (input: Record<string, unknown>) => Record<string, unknown>;
};

/**
 * The static schema extended with the organisation's module types, their root fields and
 * mutations. Pure: the same modules give an equivalent schema.
 */
export function buildTypedSchema(staticSchema: GraphQLSchema, modules: readonly ModuleDef[]): GraphQLSchema {
  const shared = sharedTypes(staticSchema);
  const names = typedNamesOf(staticSchema, modules);
  const bySlug = new Map(modules.map((m) => [m.slug, m]));
  const takenTypes = new Set(reservedNames(staticSchema).types);
  for (const n of names.values()) takenTypes.add(n.typeName);
  const types = new Map<string, ModuleTypes>();
  const typesOf = (module: ModuleDef) => types.get(module.id)!;
  const numericFields = (module: ModuleDef) =>
    module.fields.filter((f) => f.type === "number" || f.type === "currency");

  const scope: FilterScope = {
    modules: bySlug,
    fieldNames: (module) => names.get(module.id)!.fields,
    visible: () => [],
    recordId: toRecordId,
    userId: toTargetId,
  };
  const filterOf = (ctx: GraphQLContext, module: ModuleDef, input: TypedFilterInput): FilterNode =>
    typedFilter(input, module, { ...scope, visible: (m) => svc(ctx).visibleRecords(m) });

  /** A page of `module`'s records, with a reference's containment test when it is a reverse field. */
  const page = async (
    module: ModuleDef,
    args: ConnectionArgs,
    ctx: GraphQLContext,
    info: GraphQLResolveInfo,
    extra?: FilterNode,
  ): Promise<RecordConnectionResult> => {
    checkPageSize(args);
    const parts: FilterNode[] = [];
    if (extra) parts.push(extra);
    if (args.filter) parts.push(filterOf(ctx, module, args.filter));
    return svc(ctx).connection(
      module,
      {
        first: args.first,
        after: args.after,
        last: args.last,
        before: args.before,
        search: args.search,
        orderBy: args.orderBy?.map((o) => ({ field: o.field, direction: o.direction ?? "asc" })),
        predicate: parts.length > 0 ? { type: "group", conjunction: "AND", conditions: parts } : undefined,
      },
      { withTotal: selects(info, "totalCount") },
    );
  };

  /** Per request, per reverse field and arguments: a loader of first pages by parent. */
  const referrerLoaders = new WeakMap<
    GraphQLContext,
    Map<string, DataLoader<string, RecordConnectionResult>>
  >();
  const referrersOf = (
    ctx: GraphQLContext,
    source: ModuleDef,
    field: FieldDefinition,
    args: ConnectionArgs,
  ) => {
    let loaders = referrerLoaders.get(ctx);
    if (!loaders) {
      loaders = new Map();
      referrerLoaders.set(ctx, loaders);
    }
    const key = JSON.stringify([source.id, field.slug, args.first, args.filter, args.orderBy, args.search]);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader(async (parents) => {
        const pages = await svc(ctx).referrers(source, field, parents, {
          first: args.first,
          search: args.search,
          orderBy: args.orderBy?.map((o) => ({ field: o.field, direction: o.direction ?? "asc" })),
          predicate: args.filter ? filterOf(ctx, source, args.filter) : undefined,
        });
        return parents.map((parent) => pages.get(parent)!);
      });
      loaders.set(key, loader);
    }
    return loader;
  };

  const connectionArgs = (module: ModuleDef) => ({
    first: {
      type: GraphQLInt,
      description: `At most ${MAX_PAGE_SIZE}; 25 when neither first nor last is given.`,
    },
    after: { type: GraphQLString },
    last: { type: GraphQLInt, description: `At most ${MAX_PAGE_SIZE}.` },
    before: { type: GraphQLString },
    filter: { type: typesOf(module).filter },
    orderBy: { type: listOf(typesOf(module).order) },
    search: { type: GraphQLString, description: "Every term in the display name or a text field." },
  });

  // Enum types of select fields, named `<Type><Field>Option` (a number after a taken name).
  const enums = new Map<string, GraphQLEnumType>();
  const enumOf = (module: ModuleDef, field: FieldDefinition): GraphQLEnumType => {
    const key = `${module.id}:${field.slug}`;
    let type = enums.get(key);
    if (!type) {
      const stem = `${names.get(module.id)!.typeName}${pascalCase(field.slug)}Option`;
      let name = stem;
      for (let n = 2; takenTypes.has(name); n++) name = `${stem}${n}`;
      takenTypes.add(name);
      const values: GraphQLEnumValueConfigMap = {};
      for (const [option, value] of enumValueNames(field.options ?? [])) {
        values[value] = { value: option, description: option };
      }
      type = new GraphQLEnumType({
        name,
        description: `The options of ${module.slug}.${field.slug}.`,
        values,
      });
      enums.set(key, type);
    }
    return type;
  };

  for (const module of modules) {
    const n = names.get(module.id)!;
    const T = n.typeName;
    const fieldName = (f: FieldDefinition) => n.fields.get(f.slug)!;
    const storedOf = (row: RecordRow, f: FieldDefinition) => (row.fields as Record<string, unknown>)[f.slug];
    const target = (f: FieldDefinition) => bySlug.get(f.targetModuleSlug ?? "");
    const reverse = modules.flatMap((source) =>
      source.fields
        .filter((f) => f.type === "reference" && f.targetModuleSlug === module.slug)
        .map((f) => ({ source, field: f })),
    );

    const object: GraphQLObjectType = new GraphQLObjectType({
      name: T,
      description: `A record of the module ${module.name} (${module.slug}).`,
      interfaces: [shared.node],
      isTypeOf: (value) => isRecordRow(value) && value.moduleId === module.id,
      fields: () => {
        const fields: GraphQLFieldConfigMap<RecordRow, GraphQLContext> = {
          id: { type: nonNull(GraphQLID), resolve: (r) => encodeGlobalID("Record", r.id) },
          recordId: {
            type: nonNull(GraphQLString),
            description: "The record's id in REST payloads (rec_...).",
            resolve: (r) => recordRestId(r.id),
          },
          displayName: { type: nonNull(GraphQLString) },
          labelIds: { type: nonNull(listOf(GraphQLString)) },
          typeIds: { type: nonNull(listOf(GraphQLString)) },
          privacyLevel: { type: nonNull(shared.privacyLevel) },
          descriptionHtml: { type: GraphQLString },
          createdAt: { type: nonNull(shared.dateTime) },
          updatedAt: { type: nonNull(shared.dateTime) },
          createdBy: {
            type: shared.user,
            resolve: (r, _a, ctx) => (r.createdById ? usersOf(ctx).load(r.createdById) : null),
          },
          updatedBy: {
            type: shared.user,
            resolve: (r, _a, ctx) => (r.updatedById ? usersOf(ctx).load(r.updatedById) : null),
          },
          version: { type: nonNull(GraphQLInt) },
          module: {
            type: nonNull(shared.module),
            resolve: (_r, _a, ctx) => svc(ctx).modules.byId(module.id),
          },
        };
        for (const f of module.fields) fields[fieldName(f)] = outputField(f, storedOf, target);
        const taken = new Set(Object.keys(fields));
        for (const { source, field } of reverse) {
          const stem = `${pascalCase(source.slug)}By${pascalCase(field.slug)}`;
          let name = stem[0]!.toLowerCase() + stem.slice(1);
          for (let i = 2; taken.has(name); i++) name = `${stem[0]!.toLowerCase()}${stem.slice(1)}${i}`;
          taken.add(name);
          const many = isMultiValued(field);
          fields[name] = {
            type: nonNull(typesOf(source).connection),
            description: `Records of ${source.slug} whose ${field.slug} points at this record.`,
            args: connectionArgs(source),
            resolve: (r, rawArgs, ctx, info) => {
              const args = rawArgs as ConnectionArgs;
              // A first page: batched with every other parent of this response (one statement).
              if (args.after == null && args.last == null && args.before == null) {
                checkPageSize(args);
                return referrersOf(ctx, source, field, args).load(recordRestId(r.id));
              }
              const json = JSON.stringify({ [field.slug]: many ? [recordRestId(r.id)] : recordRestId(r.id) });
              return page(source, args, ctx, info, { type: "predicate", sql: containment(json) });
            },
          };
        }
        return fields;
      },
    });

    /** One custom field's output: its value read for its type, references loaded. */
    function outputField(
      f: FieldDefinition,
      value: (row: RecordRow, f: FieldDefinition) => unknown,
      targetOf: (f: FieldDefinition) => ModuleDef | undefined,
    ): GraphQLFieldConfig<RecordRow, GraphQLContext> {
      const description = f.label;
      const typed =
        <V>(check: (v: unknown) => v is V) =>
        (r: RecordRow) => {
          const v = value(r, f);
          return check(v) ? v : null;
        };
      const isString = (v: unknown): v is string => typeof v === "string";
      switch (f.type) {
        case "number":
        case "currency":
          return {
            type: GraphQLFloat,
            description,
            resolve: typed((v): v is number => typeof v === "number"),
          };
        case "boolean":
          return {
            type: GraphQLBoolean,
            description,
            resolve: typed((v): v is boolean => typeof v === "boolean"),
          };
        case "date":
          return { type: shared.localDate, description, resolve: typed(isString) };
        case "datetime":
          return { type: shared.dateTime, description, resolve: typed(isString) };
        case "select": {
          const options = new Set(f.options ?? []);
          return {
            type: enumOf(module, f),
            description,
            resolve: typed((v): v is string => isString(v) && options.has(v)),
          };
        }
        case "multi_select": {
          const options = new Set(f.options ?? []);
          return {
            type: nonNull(listOf(enumOf(module, f))),
            description,
            resolve: (r) => {
              const v = value(r, f);
              return Array.isArray(v) ? v.filter((o) => isString(o) && options.has(o)) : [];
            },
          };
        }
        case "user":
          return isMultiValued(f)
            ? {
                type: nonNull(listOf(shared.user)),
                description,
                resolve: async (r, _a, ctx) => {
                  const ids = idsIn(value(r, f), USER_PREFIX);
                  return (await usersOf(ctx).loadMany(ids)).filter(
                    (u): u is User => !!u && !(u instanceof Error),
                  );
                },
              }
            : {
                type: shared.user,
                description,
                resolve: (r, _a, ctx) => {
                  const [id] = idsIn(value(r, f), USER_PREFIX);
                  return id ? usersOf(ctx).load(id) : null;
                },
              };
        case "reference": {
          const targetModule = targetOf(f);
          if (!targetModule) return { type: GraphQLString, description, resolve: () => null };
          const load = async (r: RecordRow, ctx: GraphQLContext) => {
            const rows = await svc(ctx).loaders.record.loadMany(idsIn(value(r, f), RECORD_PREFIX));
            return rows.filter(
              (row): row is RecordRow => isRecordRow(row) && row.moduleId === targetModule.id,
            );
          };
          if (!isMultiValued(f)) {
            return {
              type: typesOf(targetModule).object,
              description,
              resolve: async (r, _a, ctx) => (await load(r, ctx))[0] ?? null,
            };
          }
          return {
            type: nonNull(typesOf(targetModule).connection),
            description,
            args: {
              first: { type: GraphQLInt },
              after: { type: GraphQLString },
              last: { type: GraphQLInt },
              before: { type: GraphQLString },
            },
            resolve: async (r, args, ctx) => {
              checkPageSize(args as ConnectionArgs);
              const rows = await load(r, ctx);
              const connection = resolveArrayConnection({ args }, rows);
              return {
                ...connection,
                totalCount: async () => rows.length,
                aggregate: async (fields: FieldDefinition[]) => aggregateOf(rows, fields),
              };
            },
          };
        }
        default:
          return { type: GraphQLString, description, resolve: typed(isString) };
      }
    }

    const edge = new GraphQLObjectType({
      name: `${T}Edge`,
      fields: () => ({
        cursor: { type: nonNull(GraphQLString) },
        node: { type: nonNull(object) },
      }),
    });
    const numeric = numericFields(module);
    const aggregateFields =
      numeric.length > 0
        ? new GraphQLObjectType({
            name: `${T}AggregateFields`,
            description: `The numeric fields of ${module.slug}; null over no values.`,
            fields: Object.fromEntries(numeric.map((f) => [fieldName(f), { type: GraphQLFloat }])),
          })
        : null;
    type Aggregated = Awaited<ReturnType<RecordConnectionResult["aggregate"]>>;
    const byName = (values: Record<string, number | null>) =>
      Object.fromEntries(numeric.map((f) => [fieldName(f), values[f.slug] ?? null]));
    const aggregate = new GraphQLObjectType<Aggregated, GraphQLContext>({
      name: `${T}Aggregate`,
      description: "Over every record the filter selects, not only the page.",
      fields: {
        count: { type: nonNull(GraphQLInt) },
        ...(aggregateFields
          ? Object.fromEntries(
              (["sum", "avg", "min", "max"] as const).map((fn) => [
                fn,
                { type: nonNull(aggregateFields), resolve: (a: Aggregated) => byName(a[fn]) },
              ]),
            )
          : {}),
      },
    });
    const connection = new GraphQLObjectType<RecordConnectionResult, GraphQLContext>({
      name: `${T}Connection`,
      fields: () => ({
        edges: { type: nonNull(listOf(edge)) },
        pageInfo: { type: nonNull(shared.pageInfo) },
        totalCount: { type: nonNull(GraphQLInt), resolve: (c) => c.totalCount() },
        aggregate: { type: nonNull(aggregate), resolve: (c) => c.aggregate(numeric) },
      }),
    });

    const sortable = module.fields.filter((f) => !isMultiValued(f));
    const sortField = new GraphQLEnumType({
      name: `${T}SortField`,
      values: {
        CREATED_AT: { value: "created_at" },
        UPDATED_AT: { value: "updated_at" },
        DISPLAY_NAME: { value: "display_name" },
        ...Object.fromEntries(sortable.map((f) => [f.slug.toUpperCase(), { value: f.slug }])),
      },
    });
    const order = new GraphQLInputObjectType({
      name: `${T}Order`,
      fields: {
        field: { type: nonNull(sortField) },
        direction: { type: shared.sortDirection, defaultValue: "asc" },
      },
    });

    const filter: GraphQLInputObjectType = new GraphQLInputObjectType({
      name: `${T}Filter`,
      description: `Records of ${module.slug}: every field given must match (and), unless or/not say otherwise.`,
      fields: () => {
        const fields: GraphQLInputFieldConfigMap = {
          and: { type: listOf(filter) },
          or: { type: listOf(filter) },
          not: { type: filter },
          id: { type: shared.filters.id },
          displayName: { type: shared.filters.string },
          createdAt: { type: shared.filters.dateTime },
          updatedAt: { type: shared.filters.dateTime },
        };
        for (const f of module.fields) {
          const type = filterInputOf(f);
          if (type) fields[fieldName(f)] = { type, description: f.label };
        }
        return fields;
      },
    });
    const selectFilters = new Map<string, GraphQLInputObjectType>();
    function filterInputOf(f: FieldDefinition): GraphQLInputType | null {
      switch (f.type) {
        case "number":
        case "currency":
          return shared.filters.float;
        case "boolean":
          return shared.filters.boolean;
        case "date":
          return shared.filters.date;
        case "datetime":
          return shared.filters.dateTime;
        case "user":
          return shared.filters.id;
        case "reference": {
          const targetModule = target(f);
          return targetModule ? typesOf(targetModule).filter : null;
        }
        case "select":
        case "multi_select": {
          let type = selectFilters.get(f.slug);
          if (!type) {
            const values = enumOf(module, f);
            type = operatorInput(
              `${values.name}Filter`,
              values,
              ["eq", "neq", "in", "notIn", "isNull"],
              f.type === "multi_select"
                ? "eq: the list holds the option; in: it holds any of them."
                : "Option comparisons.",
            );
            takenTypes.add(type.name);
            selectFilters.set(f.slug, type);
          }
          return type;
        }
        default:
          return shared.filters.string;
      }
    }

    const inputFields = (): GraphQLInputFieldConfigMap => {
      const fields: GraphQLInputFieldConfigMap = {
        displayName: { type: GraphQLString, description: "Generated from the display fields when absent." },
        labelIds: { type: listOf(GraphQLString) },
        typeIds: { type: listOf(GraphQLString) },
        privacyLevel: { type: shared.privacyLevel },
        descriptionHtml: { type: GraphQLString },
      };
      for (const f of module.fields) fields[fieldName(f)] = { type: inputTypeOf(f), description: f.label };
      return fields;
    };
    function inputTypeOf(f: FieldDefinition): GraphQLInputType {
      switch (f.type) {
        case "number":
        case "currency":
          return GraphQLFloat;
        case "boolean":
          return GraphQLBoolean;
        case "date":
          return shared.localDate;
        case "datetime":
          return shared.dateTime;
        case "select":
          return enumOf(module, f);
        case "multi_select":
          return listOf(enumOf(module, f));
        case "reference":
        case "user":
          return isMultiValued(f) ? listOf(GraphQLID) : GraphQLID;
        default:
          return GraphQLString;
      }
    }
    const create = new GraphQLInputObjectType({ name: `Create${T}Input`, fields: inputFields });
    const update = new GraphQLInputObjectType({
      name: `Update${T}Input`,
      fields: () => ({
        id: { type: nonNull(GraphQLID), description: "The record's global id or its recordId (rec_...)." },
        expectedVersion: {
          type: GraphQLInt,
          description: "Fails with CONFLICT unless the record is at this version.",
        },
        ...inputFields(),
      }),
    });
    const remove = new GraphQLInputObjectType({
      name: `Delete${T}Input`,
      fields: { id: { type: nonNull(GraphQLID), description: "The record's global id or its recordId." } },
    });
    const removed = new GraphQLObjectType<RecordRow, GraphQLContext>({
      name: `Delete${T}Payload`,
      description: "The record, moved to the trash.",
      fields: () => ({
        deletedId: { type: nonNull(GraphQLID), resolve: (r) => encodeGlobalID("Record", r.id) },
        record: { type: nonNull(object), resolve: (r) => r },
      }),
    });
    const fieldValues = (input: Record<string, unknown>) => {
      const values: Record<string, unknown> = {};
      for (const f of module.fields) {
        const given = input[fieldName(f)];
        if (given === undefined) continue;
        values[f.slug] = storedValue(f, given);
      }
      return values;
    };
    types.set(module.id, {
      names: n,
      object,
      connection,
      filter,
      order,
      create,
      update,
      remove,
      removed,
      fieldValues,
    });
  }

  // Root fields and mutations, per module.
  const queryFields: GraphQLFieldConfigMap<unknown, GraphQLContext> = {};
  const mutationFields: GraphQLFieldConfigMap<unknown, GraphQLContext> = {};
  for (const module of modules) {
    const t = typesOf(module);
    queryFields[t.names.listField] = {
      type: nonNull(t.connection),
      description: `Records of ${module.name} (${module.slug}).`,
      args: connectionArgs(module),
      resolve: (_root, args, ctx, info) => page(module, args as ConnectionArgs, ctx, info),
    };
    queryFields[t.names.singleField] = {
      type: t.object,
      description: `One record of ${module.slug} by its global id or recordId; null when there is none.`,
      args: { id: { type: nonNull(GraphQLID) } },
      resolve: async (_root, args, ctx) => {
        try {
          return await svc(ctx).get(module.slug, toRecordId(String(args.id)));
        } catch (error) {
          if (error instanceof NotFoundError) return null;
          throw error;
        }
      },
    };
    type Input = Record<string, unknown> & {
      displayName?: string | null;
      labelIds?: string[] | null;
      typeIds?: string[] | null;
      privacyLevel?: "account" | "team" | "private" | null;
      descriptionHtml?: string | null;
    };
    const common = (input: Input) => ({
      ...(input.displayName != null ? { displayName: input.displayName } : {}),
      ...(input.labelIds != null ? { labelIds: input.labelIds } : {}),
      ...(input.typeIds != null ? { typeIds: input.typeIds } : {}),
      ...(input.privacyLevel != null ? { privacyLevel: input.privacyLevel } : {}),
      ...(input.descriptionHtml !== undefined ? { descriptionHtml: input.descriptionHtml } : {}),
      fields: t.fieldValues(input),
    });
    mutationFields[t.names.createMutation] = {
      type: nonNull(t.object),
      args: { input: { type: nonNull(t.create) } },
      resolve: (_root, { input }, ctx) => svc(ctx).create(module.slug, common(input as Input)),
    };
    mutationFields[t.names.updateMutation] = {
      type: nonNull(t.object),
      args: { input: { type: nonNull(t.update) } },
      resolve: (_root, { input }, ctx) => {
        const { id, expectedVersion, ...rest } = input as Input & {
          id: string;
          expectedVersion?: number | null;
        };
        return svc(ctx).update(module.slug, toRecordId(String(id)), {
          ...common(rest),
          ...(expectedVersion != null ? { version: expectedVersion } : {}),
        });
      },
    };
    mutationFields[t.names.deleteMutation] = {
      type: nonNull(t.removed),
      args: { input: { type: nonNull(t.remove) } },
      resolve: (_root, { input }, ctx) =>
        svc(ctx).delete(module.slug, toRecordId(String((input as { id: string }).id))),
    };
  }

  const staticConfig = staticSchema.toConfig();
  const staticQuery = staticSchema.getQueryType()!.toConfig();
  const staticMutation = staticSchema.getMutationType()!.toConfig();
  const typeNameOf = (row: RecordRow) => {
    const module = modules.find((m) => m.id === row.moduleId);
    return module ? names.get(module.id)!.typeName : null;
  };
  /** node(id:) and nodes(ids:) answer a record as its module's type (docs/graph.md). */
  const typedNode = (value: unknown, info: GraphQLResolveInfo) => {
    if (!isRecordRow(value)) return value;
    const typeName = typeNameOf(value);
    if (!typeName || wantsGenericRecord(info, typeName)) return value;
    return { ...value, __typename: typeName };
  };
  const wrap = (
    field: GraphQLFieldConfig<unknown, GraphQLContext> | undefined,
    map: (result: unknown, info: GraphQLResolveInfo) => unknown,
  ) =>
    field?.resolve
      ? {
          ...field,
          resolve: async (
            root: unknown,
            args: Record<string, unknown>,
            ctx: GraphQLContext,
            info: GraphQLResolveInfo,
          ) => map(await field.resolve!(root, args, ctx, info), info),
        }
      : field;
  const query = new GraphQLObjectType({
    ...staticQuery,
    fields: {
      ...staticQuery.fields,
      ...(staticQuery.fields.node ? { node: wrap(staticQuery.fields.node, typedNode)! } : {}),
      ...(staticQuery.fields.nodes
        ? {
            nodes: wrap(staticQuery.fields.nodes, (list, info) =>
              Array.isArray(list) ? list.map((v) => typedNode(v, info)) : list,
            )!,
          }
        : {}),
      ...queryFields,
    },
  });
  const mutation = new GraphQLObjectType({
    ...staticMutation,
    fields: { ...staticMutation.fields, ...mutationFields },
  });
  return new GraphQLSchema({
    ...staticConfig,
    query,
    mutation,
    types: [
      ...staticConfig.types.filter((t) => t.name !== query.name && t.name !== mutation.name),
      ...[...types.values()].flatMap((t) => [t.object, t.connection, t.filter]),
      ...Object.values(shared.filters),
    ],
  });
}

/** `@>` on `records.fields`: answered by the GIN index. */
function containment(json: string) {
  return sql`r.fields @> ${json}::jsonb`;
}

/** The uuids of a stored reference value (`rec_…`/`usr_…`, one or a list). */
function idsIn(value: unknown, prefix: string): string[] {
  const ids = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
  return ids.map((id) => parsePrefixedId(String(id), prefix)).filter((id): id is string => id !== null);
}

/** The aggregates of a list already in memory (a many_to_many reference's targets). */
function aggregateOf(rows: RecordRow[], fields: FieldDefinition[]) {
  const result = { count: rows.length, sum: {}, avg: {}, min: {}, max: {} } as Awaited<
    ReturnType<RecordConnectionResult["aggregate"]>
  >;
  for (const f of fields) {
    const values = rows
      .map((r) => (r.fields as Record<string, unknown>)[f.slug])
      .filter((v): v is number => typeof v === "number");
    const sum = values.reduce((a, b) => a + b, 0);
    result.sum[f.slug] = values.length > 0 ? sum : null;
    result.avg[f.slug] = values.length > 0 ? sum / values.length : null;
    result.min[f.slug] = values.length > 0 ? Math.min(...values) : null;
    result.max[f.slug] = values.length > 0 ? Math.max(...values) : null;
  }
  return result;
}

/** A typed input value as the Records API stores it: ids as rec_/usr_ ids, date-times as ISO text. */
function storedValue(f: FieldDefinition, given: unknown): unknown {
  if (given === null) return null;
  if (f.type === "datetime" && given instanceof Date) return given.toISOString();
  if (f.type === "reference" || f.type === "user") {
    const convert = f.type === "user" ? toTargetId : toRecordId;
    return Array.isArray(given) ? given.map((id) => convert(String(id))) : convert(String(given));
  }
  return given;
}
