// The schema a request runs against: the static schema for anonymous introspection, and for an
// organisation the static schema extended with its module types (src/records/typed-schema.ts).
// Built schemas are kept in a bounded LRU keyed by (organisation, modules version): the version
// lives in the database (module_schema_versions, bumped by a trigger at every module change),
// and the module snapshot a request reads comes with it (ModuleService.snapshot), so the first
// request after a change, on any instance, gets a schema of the new version.
import type { GraphQLSchema } from "graphql";
import type { ModuleDef } from "../records/modules.store.js";
import type { TypedNames } from "../records/typed-names.js";
import { buildTypedSchema, typedNamesOf } from "../records/typed-schema.js";
import { schema as staticSchema } from "./schema.js";

/** Most typed schemas kept; one organisation has one current version. */
export const TYPED_SCHEMA_CACHE_ENTRIES = 200;

const schemas = new Map<string, GraphQLSchema>();

/** The typed schema of an organisation's modules at `version`, built on first use. */
export function organizationSchema(
  organizationId: string,
  snapshot: { version: number; modules: readonly ModuleDef[] },
): GraphQLSchema {
  const key = `${organizationId}:${snapshot.version}`;
  const cached = schemas.get(key);
  if (cached) {
    // Map keeps insertion order: re-inserting marks the entry as the most recently used.
    schemas.delete(key);
    schemas.set(key, cached);
    return cached;
  }
  const built =
    snapshot.modules.length === 0 ? staticSchema : buildTypedSchema(staticSchema, snapshot.modules);
  schemas.set(key, built);
  if (schemas.size > TYPED_SCHEMA_CACHE_ENTRIES) schemas.delete(schemas.keys().next().value!);
  return built;
}

/** The typed names of an organisation's modules (Module.typeName, FieldDefinition.graphqlName). */
export function typedNames(modules: readonly ModuleDef[]): Map<string, TypedNames> {
  return typedNamesOf(staticSchema, modules);
}

export { staticSchema };
