// All SQL against `record_modules`, and the per-module partial indexes on records' fields.
import { createHash } from "node:crypto";
import { type SqlPool, sql } from "../db/sql.js";
import type { FieldDefinition } from "./records.inputs.js";

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

/** The one column list of `record_modules`, in ModuleDef's shape. */
const COLUMNS = sql`id, organization_id AS "organizationId", slug, name, fields,
  coalesce(display_fields, '{}') AS "displayFields", coalesce(subtitle_fields, '{}') AS "subtitleFields",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export type ModuleContent = {
  name: string;
  fields: FieldDefinition[];
  displayFields: string[];
  subtitleFields: string[];
};

export class ModuleStore {
  constructor(
    private readonly db: SqlPool,
    private readonly organizationId: string,
  ) {}

  /**
   * Every module with the organisation's modules version, read in one snapshot: the version
   * names exactly this list (module-cache.ts, the typed schema's cache key).
   */
  async snapshot(): Promise<{ version: number; modules: ModuleDef[] }> {
    const row = await this.db.maybeOne<{ version: string | number; modules: ModuleDef[] }>(
      sql`SELECT coalesce((SELECT v.version FROM module_schema_versions v
            WHERE v.organization_id = ${this.organizationId}::uuid), 0) AS version,
          coalesce((SELECT json_agg(m ORDER BY m.slug) FROM (SELECT ${COLUMNS} FROM record_modules
            WHERE organization_id = ${this.organizationId}::uuid) m), '[]') AS modules`,
      { name: "modules.snapshot" },
    );
    const modules = (row?.modules ?? []).map((m) => ({
      ...m,
      createdAt: new Date(m.createdAt),
      updatedAt: new Date(m.updatedAt),
    }));
    return { version: Number(row?.version ?? 0), modules };
  }

  /** Inserts a module; a taken slug is a unique violation (23505) for the caller to translate. */
  async insert(slug: string, content: ModuleContent): Promise<ModuleDef> {
    const row = await this.db.maybeOne<ModuleDef>(
      sql`INSERT INTO record_modules (id, organization_id, slug, name, fields, display_fields, subtitle_fields, updated_at)
        VALUES (gen_random_uuid(), ${this.organizationId}::uuid, ${slug}::text, ${content.name}::text,
          ${JSON.stringify(content.fields)}::jsonb, ${content.displayFields}::text[], ${content.subtitleFields}::text[], now())
        RETURNING ${COLUMNS}`,
      { name: "modules.insert" },
    );
    return row!;
  }

  async update(id: string, content: ModuleContent): Promise<ModuleDef | undefined> {
    return this.db.maybeOne<ModuleDef>(
      sql`UPDATE record_modules SET name = ${content.name}::text, fields = ${JSON.stringify(content.fields)}::jsonb,
          display_fields = ${content.displayFields}::text[], subtitle_fields = ${content.subtitleFields}::text[],
          updated_at = now()
        WHERE id = ${id}::uuid AND organization_id = ${this.organizationId}::uuid
        RETURNING ${COLUMNS}`,
      { name: "modules.update" },
    );
  }

  /** Deletes a module; its records go with it (ON DELETE CASCADE). */
  async delete(id: string): Promise<void> {
    await this.db.execute(
      sql`DELETE FROM record_modules WHERE id = ${id}::uuid AND organization_id = ${this.organizationId}::uuid`,
      { name: "modules.delete" },
    );
  }

  /**
   * Sort and range filters on a custom field read an expression of the JSONB value
   * (advanced-filter.ts `targetExpression`); a partial B-tree index on exactly that expression,
   * per module, lets PostgreSQL stop after one page and answer ranges without decoding every
   * record's JSON (docs/records.md, "Indexes"). Equality and `in` use the GIN index on `fields`.
   * Numbers and dates are indexed newest/largest first, texts A to Z, both with nulls last, as
   * the lists sort them. Built CONCURRENTLY so writes go on; a failure only costs speed.
   */
  async ensureFieldIndexes(module: ModuleDef): Promise<void> {
    for (const field of module.fields) {
      const key = indexKey(field);
      if (!key) continue;
      // Slugs match SLUG (lower snake case) and ids are uuids: both validated, safe to inline in DDL.
      const name = `records_f_${createHash("md5").update(`${module.id}:${field.slug}:${key}`).digest("hex").slice(0, 20)}`;
      const ddl = `INDEX IF NOT EXISTS "${name}" ON records (${key}) WHERE module_id = '${module.id}'::uuid`;
      try {
        await this.db.execute({ text: `CREATE ${ddl.replace("INDEX", "INDEX CONCURRENTLY")}`, values: [] });
      } catch {
        await this.db.execute({ text: `CREATE ${ddl}`, values: [] }).catch(() => {});
      }
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
