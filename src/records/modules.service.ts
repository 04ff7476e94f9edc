// Modules and their field schemas, confined to the viewer's organisation. The organisation's
// modules are read once per request (one statement) and served from that cache afterwards.
import { translateDatabaseError } from "../db/errors.js";
import { type SqlPool, sqlOf } from "../db/sql.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput } from "../validation.js";
import { RESERVED_SLUGS } from "./advanced-filter.js";
import { type ModuleCache, moduleCacheOf } from "./module-cache.js";
import { type ModuleDef, ModuleStore } from "./modules.store.js";
import {
  CreateModuleInput,
  type FieldDefinition,
  MODULE_PREFIX,
  parsePrefixedId,
  UpdateModuleInput,
} from "./records.inputs.js";

export type { ModuleDef } from "./modules.store.js";

export type ReferenceDefinition = {
  slug: string;
  targetType: "module" | "user";
  targetModuleSlug: string | null;
  relationshipType: "many_to_one" | "many_to_many";
};

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

export class ModuleService {
  private cache: Promise<{ version: number; modules: ModuleDef[] }> | null = null;
  private readonly store: ModuleStore;
  private readonly shared: ModuleCache;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    const db: SqlPool = sqlOf(prisma);
    this.store = new ModuleStore(db, viewer.organization.id);
    this.shared = moduleCacheOf(db);
  }

  /** Every module of the organisation, by slug. */
  async list(): Promise<ModuleDef[]> {
    this.viewer.require("records:read");
    return (await this.snapshot()).modules;
  }

  /**
   * The organisation's modules and their version: from the process's cache while it is sure to
   * be current (module-cache.ts), else in one statement; then the same for the whole request.
   */
  snapshot(): Promise<{ version: number; modules: ModuleDef[] }> {
    this.cache ??= this.readSnapshot();
    return this.cache;
  }

  private async readSnapshot(): Promise<{ version: number; modules: ModuleDef[] }> {
    const organizationId = this.viewer.organization.id;
    const cached = this.shared.get(organizationId);
    if (cached) return cached;
    const generation = this.shared.begin();
    const snapshot = await this.store.snapshot();
    this.shared.set(organizationId, snapshot, generation);
    return snapshot;
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
    const module = await this.store
      .insert(data.slug, {
        name: data.name,
        fields,
        displayFields: data.displayFields ?? [],
        subtitleFields: data.subtitleFields ?? [],
      })
      .catch((error) =>
        translateDatabaseError(error, {
          unique: () =>
            new ConflictError(`A module with slug ${data.slug} already exists`, { field: "slug" }),
        }),
      );
    this.cache = null;
    await this.store.ensureFieldIndexes(module);
    return module;
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
    const module = await this.store.update(current.id, {
      name: data.name ?? current.name,
      fields,
      displayFields: data.displayFields ?? current.displayFields,
      subtitleFields: data.subtitleFields ?? current.subtitleFields,
    });
    this.cache = null;
    if (!module) throw new NotFoundError(`Module ${data.slug} not found`, { module: data.slug });
    await this.store.ensureFieldIndexes(module);
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
    await this.store.delete(module.id);
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
