// Modules and their field schemas, confined to the viewer's organisation. The organisation's
// modules are read once per request (one statement) and served from that cache afterwards.
import { createHash } from "node:crypto";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { Prisma, PrismaClient, RecordModule } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput } from "../validation.js";
import { RESERVED_SLUGS } from "./advanced-filter.js";
import {
  CreateModuleInput,
  type FieldDefinition,
  MODULE_PREFIX,
  parsePrefixedId,
  UpdateModuleInput,
} from "./records.inputs.js";

export type ModuleDef = {
  id: string;
  organizationId: string;
  slug: string;
  name: string;
  fields: FieldDefinition[];
  displayFields: string[];
  subtitleFields: string[];
  createdAt: Date;
  updatedAt: Date;
};

export type ReferenceDefinition = {
  slug: string;
  targetType: "module" | "user";
  targetModuleSlug: string | null;
  relationshipType: "many_to_one" | "many_to_many";
};

export function toModuleDef(row: RecordModule): ModuleDef {
  return {
    id: row.id,
    organizationId: row.organizationId,
    slug: row.slug,
    name: row.name,
    fields: row.fields as unknown as FieldDefinition[],
    displayFields: row.displayFields ?? [],
    subtitleFields: row.subtitleFields ?? [],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function referencesOf(module: ModuleDef): ReferenceDefinition[] {
  return module.fields
    .filter((f) => f.type === "reference" || f.type === "user")
    .map((f) => ({
      slug: f.slug,
      targetType: f.type === "user" ? "user" : "module",
      targetModuleSlug: f.type === "reference" ? (f.targetModuleSlug ?? null) : null,
      relationshipType: f.relationshipType ?? "many_to_one",
    }));
}

/** The display-field rule: the module's displayFields, or else its first text field. */
export function displayFieldsOf(module: ModuleDef): string[] {
  if (module.displayFields.length > 0) return module.displayFields;
  const firstText = module.fields.find((f) => f.type === "text");
  return firstText ? [firstText.slug] : [];
}

/**
 * Sort and range filters on a custom field read an expression of the JSONB value
 * (advanced-filter.ts `targetExpression`); a partial B-tree index on exactly that expression,
 * per module, lets PostgreSQL stop after one page and answer ranges without decoding every
 * record's JSON (docs/records.md, "Indexes"). Equality and `in` use the GIN index on `fields`.
 * Numbers and dates are indexed newest/largest first, texts A to Z, both with nulls last, as
 * the lists sort them. Built CONCURRENTLY so writes go on; a failure only costs speed.
 */
export async function ensureFieldIndexes(prisma: PrismaClient, module: ModuleDef): Promise<void> {
  for (const field of module.fields) {
    const key = indexKey(field);
    if (!key) continue;
    // Slugs match SLUG (lower snake case) and ids are uuids: both safe to inline in DDL.
    const name = `records_f_${createHash("md5").update(`${module.id}:${field.slug}:${key}`).digest("hex").slice(0, 20)}`;
    const ddl = `INDEX IF NOT EXISTS "${name}" ON records (${key}) WHERE module_id = '${module.id}'::uuid`;
    try {
      await prisma.$executeRawUnsafe(`CREATE ${ddl.replace("INDEX", "INDEX CONCURRENTLY")}`);
    } catch {
      await prisma.$executeRawUnsafe(`CREATE ${ddl}`).catch(() => {});
    }
  }
}

function indexKey(field: FieldDefinition): string | null {
  if (field.relationshipType === "many_to_many" || field.type === "multi_select") return null;
  const slug = `'${field.slug}'::text`;
  switch (field.type) {
    case "number":
    case "currency":
      return `(CASE WHEN jsonb_typeof(fields -> ${slug}) = 'number'::text THEN (fields ->> ${slug})::numeric END) DESC NULLS LAST, id DESC`;
    case "date":
    case "datetime":
      return `((fields ->> ${slug}) COLLATE "C") DESC NULLS LAST, id DESC`;
    case "text":
    case "select":
    case "email":
      return `(fields ->> ${slug}) ASC NULLS LAST, id ASC`;
    default:
      return null;
  }
}

export class ModuleService {
  private cache: Promise<ModuleDef[]> | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {}

  /** Every module of the organisation, by slug. */
  async list(): Promise<ModuleDef[]> {
    this.viewer.require("records:read");
    // Raw SQL: on every request's path, and the ORM's query compiler costs more than the query.
    this.cache ??= this.prisma.$queryRaw<RecordModule[]>`
      SELECT id, organization_id AS "organizationId", slug, name, fields,
        display_fields AS "displayFields", subtitle_fields AS "subtitleFields",
        created_at AS "createdAt", updated_at AS "updatedAt"
      FROM record_modules WHERE organization_id = ${this.viewer.organization.id}::uuid ORDER BY slug`.then(
      (rows) => rows.map(toModuleDef),
    );
    return this.cache;
  }

  async get(slug: string): Promise<ModuleDef> {
    const module = (await this.list()).find((m) => m.slug === slug);
    if (!module) throw new NotFoundError(`Module ${slug} not found`, { module: slug });
    return module;
  }

  async find(slug: string): Promise<ModuleDef | null> {
    return (await this.list()).find((m) => m.slug === slug) ?? null;
  }

  /** By internal id or `mod_` id; null when it is not one of the organisation's modules. */
  async byId(id: string): Promise<ModuleDef | null> {
    const uuid = parsePrefixedId(id, MODULE_PREFIX);
    return (await this.list()).find((m) => m.id === uuid) ?? null;
  }

  async create(input: CreateModuleInput): Promise<ModuleDef> {
    this.viewer.require("records:write");
    const data = parseInput(CreateModuleInput, input);
    const all = await this.list();
    if (all.some((m) => m.slug === data.slug)) {
      throw new ConflictError(`A module with slug ${data.slug} already exists`, { field: "slug" });
    }
    const fields = this.checkSchema(data.slug, data.fields, data.displayFields, data.subtitleFields, all);
    try {
      const row = await this.prisma.recordModule.create({
        data: {
          organizationId: this.viewer.organization.id,
          slug: data.slug,
          name: data.name,
          fields: fields as unknown as Prisma.InputJsonValue,
          displayFields: data.displayFields ?? [],
          subtitleFields: data.subtitleFields ?? [],
        },
      });
      this.cache = null;
      const module = toModuleDef(row);
      await ensureFieldIndexes(this.prisma, module);
      return module;
    } catch (error) {
      if ((error as { code?: string }).code === "P2002") {
        throw new ConflictError(`A module with slug ${data.slug} already exists`, { field: "slug" });
      }
      throw error;
    }
  }

  async update(input: UpdateModuleInput): Promise<ModuleDef> {
    this.viewer.require("records:write");
    const data = parseInput(UpdateModuleInput, input);
    const all = await this.list();
    const current = await this.get(data.slug);
    const fields = this.checkSchema(
      current.slug,
      data.fields ?? current.fields,
      data.displayFields ?? current.displayFields,
      data.subtitleFields ?? current.subtitleFields,
      all,
    );
    const row = await this.prisma.recordModule.update({
      where: { id: current.id },
      data: {
        name: data.name,
        fields: fields as unknown as Prisma.InputJsonValue,
        displayFields: data.displayFields,
        subtitleFields: data.subtitleFields,
      },
    });
    this.cache = null;
    const module = toModuleDef(row);
    await ensureFieldIndexes(this.prisma, module);
    return module;
  }

  /** Deletes a module with all its records; refused while other modules reference it. */
  async delete(slug: string): Promise<ModuleDef> {
    this.viewer.require("records:write");
    const module = await this.get(slug);
    const referrers = (await this.list()).filter(
      (m) => m.slug !== slug && m.fields.some((f) => f.type === "reference" && f.targetModuleSlug === slug),
    );
    if (referrers.length > 0) {
      throw new ConflictError(
        `Module ${slug} is referenced by ${referrers.map((m) => m.slug).join(", ")}; remove those reference fields first`,
        { referencedBy: referrers.map((m) => m.slug) },
      );
    }
    await this.prisma.recordModule.delete({ where: { id: module.id } });
    this.cache = null;
    return module;
  }

  private checkSchema(
    moduleSlug: string,
    fields: FieldDefinition[],
    displayFields: string[] | undefined,
    subtitleFields: string[] | undefined,
    all: ModuleDef[],
  ): FieldDefinition[] {
    const issues: { field: string; message: string }[] = [];
    const slugs = new Set(fields.map((f) => f.slug));
    fields.forEach((field, index) => {
      if (RESERVED_SLUGS.includes(field.slug)) {
        issues.push({
          field: `fields.${index}.slug`,
          message: `"${field.slug}" is reserved for a core field`,
        });
      }
      if (
        field.type === "reference" &&
        field.targetModuleSlug !== moduleSlug &&
        !all.some((m) => m.slug === field.targetModuleSlug)
      ) {
        issues.push({
          field: `fields.${index}.targetModuleSlug`,
          message: `no module ${field.targetModuleSlug} in this organisation`,
        });
      }
    });
    for (const [name, list] of [
      ["displayFields", displayFields],
      ["subtitleFields", subtitleFields],
    ] as const) {
      (list ?? []).forEach((slug, index) => {
        if (!slugs.has(slug))
          issues.push({ field: `${name}.${index}`, message: `no field ${slug} in this module` });
      });
    }
    if (issues.length > 0) throw new ValidationError("Invalid module schema", issues);
    return fields.map((f) => ({
      slug: f.slug,
      label: f.label,
      type: f.type,
      required: f.required ?? false,
      ...(f.options ? { options: f.options } : {}),
      ...(f.targetModuleSlug ? { targetModuleSlug: f.targetModuleSlug } : {}),
      ...(f.type === "reference" || f.type === "user"
        ? { relationshipType: f.relationshipType ?? "many_to_one" }
        : {}),
    }));
  }
}
