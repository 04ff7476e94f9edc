// The names a module and its fields take in the typed graph (docs/graph.md, "Names"). They are
// part of the contract: codegen'd clients compile against them, so each rule is deterministic,
// depends only on what existed before (modules in creation order, fields in schema order), and
// never changes a name because a later module or field arrived.
import type { ModuleDef } from "./modules.store.js";
import type { FieldDefinition } from "./records.inputs.js";

/** Fields every typed record type carries, whatever its module's fields are called. */
export const CORE_TYPE_FIELDS = [
  "id",
  "recordId",
  "displayName",
  "labelIds",
  "typeIds",
  "privacyLevel",
  "descriptionHtml",
  "createdAt",
  "updatedAt",
  "createdBy",
  "updatedBy",
  "version",
  "module",
] as const;

/** Fields of the typed filter and aggregate inputs that a field name may not take. */
const FILTER_KEYWORDS = ["and", "or", "not", "count", "sum", "avg", "min", "max"];

export type TypedNames = {
  typeName: string;
  /** Root query fields: the connection and the single record. */
  listField: string;
  singleField: string;
  createMutation: string;
  updateMutation: string;
  deleteMutation: string;
  /** GraphQL name of each field, by slug. */
  fields: Map<string, string>;
};

/** `deal_value` → `DealValue`. */
export function pascalCase(slug: string): string {
  return slug
    .split("_")
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

/** `deal_value` → `dealValue`. */
export function camelCase(slug: string): string {
  const pascal = pascalCase(slug);
  return pascal[0]!.toLowerCase() + pascal.slice(1);
}

/**
 * English plural to singular for the last word of a slug: `companies` → `company`, `boxes` →
 * `box`, `contacts` → `contact`; `ss` endings (`address`) and everything else stay as they are.
 */
export function singular(slug: string): string {
  if (/[^aeiou]ies$/.test(slug)) return `${slug.slice(0, -3)}y`;
  if (/(ss|x|z|ch|sh)es$/.test(slug)) return slug.slice(0, -2);
  if (/[^su]s$/.test(slug)) return slug.slice(0, -1);
  return slug;
}

/** Every type name the typed graph derives from a module's type name. */
export function derivedTypeNames(typeName: string): string[] {
  return [
    typeName,
    `${typeName}Connection`,
    `${typeName}Edge`,
    `${typeName}Filter`,
    `${typeName}Order`,
    `${typeName}SortField`,
    `${typeName}Aggregate`,
    `${typeName}AggregateFields`,
    `Create${typeName}Input`,
    `Update${typeName}Input`,
    `Delete${typeName}Input`,
    `Delete${typeName}Payload`,
  ];
}

/** Modules in the order their names are decided: creation, then id. */
function byCreation(modules: readonly ModuleDef[]): ModuleDef[] {
  return [...modules].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/**
 * The names of every module of an organisation. `reserved` holds what the static schema already
 * uses: its type names, its Query fields and its Mutation fields.
 */
export function moduleNames(
  modules: readonly ModuleDef[],
  reserved: { types: ReadonlySet<string>; queries: ReadonlySet<string>; mutations: ReadonlySet<string> },
): Map<string, TypedNames> {
  const takenTypes = new Set(reserved.types);
  const takenQueries = new Set(reserved.queries);
  const takenMutations = new Set(reserved.mutations);
  const result = new Map<string, TypedNames>();
  for (const module of byCreation(modules)) {
    const base = pascalCase(singular(module.slug));
    const candidates = [base, `${base}Record`, pascalCase(module.slug), `${pascalCase(module.slug)}Record`];
    for (let n = 2; candidates.length < 100; n++) candidates.push(`${base}Record${n}`);
    const fits = (typeName: string) =>
      derivedTypeNames(typeName).every((name) => !takenTypes.has(name)) &&
      !takenQueries.has(lowerFirst(typeName)) &&
      ["create", "update", "delete"].every((verb) => !takenMutations.has(`${verb}${typeName}`));
    const typeName = candidates.find(fits)!;
    for (const name of derivedTypeNames(typeName)) takenTypes.add(name);
    const singleField = lowerFirst(typeName);
    takenQueries.add(singleField);
    const slugField = camelCase(module.slug);
    const listField =
      typeName === base && slugField !== singleField && !takenQueries.has(slugField)
        ? slugField
        : uniqueName(`${singleField}List`, takenQueries);
    takenQueries.add(listField);
    const names: TypedNames = {
      typeName,
      listField,
      singleField,
      createMutation: `create${typeName}`,
      updateMutation: `update${typeName}`,
      deleteMutation: `delete${typeName}`,
      fields: fieldNames(module.fields),
    };
    for (const verb of ["create", "update", "delete"]) takenMutations.add(`${verb}${typeName}`);
    result.set(module.id, names);
  }
  return result;
}

/**
 * GraphQL names of a module's fields: the slug in camelCase; a name taken by a core field, a
 * filter keyword or an earlier field gets `Field` appended, then a number (`version` →
 * `versionField`, then `versionField2`).
 */
export function fieldNames(fields: readonly FieldDefinition[]): Map<string, string> {
  const taken = new Set<string>([...CORE_TYPE_FIELDS, ...FILTER_KEYWORDS]);
  const names = new Map<string, string>();
  for (const field of fields) {
    const camel = camelCase(field.slug);
    const name = taken.has(camel) ? uniqueName(`${camel}Field`, taken) : camel;
    taken.add(name);
    names.set(field.slug, name);
  }
  return names;
}

/**
 * Enum values of a select field's options: the option in UPPER_SNAKE_CASE (accents dropped,
 * every other run of non-alphanumerics one `_`); `V_` in front when that is empty or starts
 * with a digit; `_2`, `_3`… after a value already taken. Each enum value carries its option, so
 * the mapping is reversible.
 */
export function enumValueNames(options: readonly string[]): Map<string, string> {
  const taken = new Set<string>(["TRUE", "FALSE", "NULL"]);
  const names = new Map<string, string>();
  for (const option of options) {
    if (names.has(option)) continue;
    let name = option
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^A-Za-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .toUpperCase();
    if (name === "" || /^[0-9]/.test(name)) name = `V_${name}`;
    if (taken.has(name)) {
      let n = 2;
      while (taken.has(`${name}_${n}`)) n++;
      name = `${name}_${n}`;
    }
    taken.add(name);
    names.set(option, name);
  }
  return names;
}

/** `name`, or else the first free of `name2`, `name3`… */
function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let n = 2; ; n++) if (!taken.has(`${name}${n}`)) return `${name}${n}`;
}

function lowerFirst(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}
