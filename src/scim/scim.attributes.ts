// Attribute paths resolved against a resource's schema, and what is done with them on a resource's
// SCIM document: filter evaluation (RFC 7644 §3.4.2.2), sorting (§3.4.2.3) and projection with
// `attributes`/`excludedAttributes` (§3.4.2.5). Attribute names are case-insensitive (RFC 7643
// §2.1); string comparisons fold case unless the attribute is caseExact.
import { scimBadRequest } from "./scim.errors.js";
import {
  type AttrPath,
  type CompareOp,
  type CompValue,
  type Filter,
  FilterSyntaxError,
  parseAttrPath,
  parseFilter,
} from "./scim.filter.js";
import { type AttributeDef, COMMON_ATTRIBUTES, type ResourceSchema, type SchemaDef } from "./scim.schemas.js";

export type ScimDocument = Record<string, unknown>;

/** One level of an attribute path: the key in the document and its definition. */
export type Step = {
  key: string;
  def: AttributeDef;
  /** An attribute of an open extension that no definition names: typed by its stored value. */
  open?: boolean;
  /** Sub-attributes that no definition names are allowed (inside an open extension). */
  extensible?: boolean;
};

export class UnknownAttributeError extends Error {}

const lower = (s: string) => s.toLowerCase();

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The key of `object` that equals `name` case-insensitively, if any. */
export function keyOf(object: Record<string, unknown>, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name;
  const wanted = lower(name);
  return Object.keys(object).find((key) => lower(key) === wanted);
}

export function getKey(object: Record<string, unknown>, name: string): unknown {
  const key = keyOf(object, name);
  return key === undefined ? undefined : object[key];
}

function extensionDef(schema: SchemaDef): AttributeDef {
  return {
    name: schema.id,
    type: "complex",
    multiValued: false,
    description: schema.description,
    required: false,
    caseExact: false,
    mutability: "readWrite",
    returned: "default",
    uniqueness: "none",
    subAttributes: schema.attributes,
  };
}

function openDef(name: string): AttributeDef {
  return {
    name,
    type: "string",
    multiValued: false,
    description: "",
    required: false,
    caseExact: false,
    mutability: "readWrite",
    returned: "default",
    uniqueness: "none",
  };
}

function findDef(defs: readonly AttributeDef[] | undefined, name: string): AttributeDef | undefined {
  const wanted = lower(name);
  return defs?.find((d) => lower(d.name) === wanted);
}

/** The attribute's sub-attribute `name`, as a step. Throws UnknownAttributeError. */
export function subStep(parent: Step, name: string): Step {
  const def = findDef(parent.def.subAttributes, name);
  if (def) return { key: def.name, def };
  if (parent.extensible) return { key: name, def: openDef(name), open: true, extensible: true };
  throw new UnknownAttributeError(`"${parent.def.name}" has no sub-attribute "${name}"`);
}

/**
 * The steps of a path from the resource's root. Null for an RFC 7643 attribute this server
 * accepts and discards (title, phoneNumbers, password...). Throws UnknownAttributeError.
 */
export function resolvePath(resource: ResourceSchema, path: AttrPath): Step[] | null {
  const { uri, attr, sub } = path;
  if (uri !== null) {
    const wanted = lower(uri);
    if (wanted === lower(resource.core.id)) return resolveCore(resource, attr, sub);
    const extension = resource.extensions.find((e) => lower(e.id) === wanted);
    if (extension) return resolveInExtension(extension, attr, sub);
    const whole = resource.extensions.find((e) => lower(e.id) === `${wanted}:${lower(attr)}`);
    if (whole && sub === null) return [{ key: whole.id, def: extensionDef(whole), extensible: whole.open }];
    throw new UnknownAttributeError(`Unknown schema "${uri}"`);
  }
  return resolveCore(resource, attr, sub);
}

function resolveCore(resource: ResourceSchema, attr: string, sub: string | null): Step[] | null {
  const def = findDef(COMMON_ATTRIBUTES, attr) ?? findDef(resource.core.attributes, attr);
  if (!def) {
    if (resource.discarded.has(lower(attr))) return null;
    throw new UnknownAttributeError(`Unknown attribute "${attr}"`);
  }
  const top: Step = { key: def.name, def };
  if (sub === null) return [top];
  if (def.type !== "complex") throw new UnknownAttributeError(`"${def.name}" has no sub-attributes`);
  return [top, subStep(top, sub)];
}

function resolveInExtension(extension: SchemaDef, attr: string, sub: string | null): Step[] {
  const top: Step = { key: extension.id, def: extensionDef(extension), extensible: extension.open };
  const step = subStep(top, attr);
  if (sub === null) return [top, step];
  if (step.def.type !== "complex" && !step.open) {
    throw new UnknownAttributeError(`"${step.def.name}" has no sub-attributes`);
  }
  return [top, step, subStep({ ...step, extensible: step.extensible || extension.open }, sub)];
}

// ---------------------------------------------------------------------------------------------
// Filters

export type CompiledFilter =
  | { op: "and" | "or"; filters: CompiledFilter[] }
  | { op: "not"; filter: CompiledFilter }
  | { op: "pr"; steps: Step[] }
  | { op: CompareOp; steps: Step[]; value: CompValue }
  | { op: "valuePath"; steps: Step[]; filter: CompiledFilter };

const ORDERING: ReadonlySet<string> = new Set(["gt", "ge", "lt", "le"]);
const SUBSTRING: ReadonlySet<string> = new Set(["co", "sw", "ew"]);

function invalidFilter(message: string) {
  return scimBadRequest("invalidFilter", message);
}

/** Parses and checks a `filter` parameter against the resource's schema: 400 invalidFilter. */
export function compileFilterText(resource: ResourceSchema, text: string): CompiledFilter {
  let filter: Filter;
  try {
    filter = parseFilter(text);
  } catch (error) {
    if (error instanceof FilterSyntaxError) throw invalidFilter(`Invalid filter: ${error.message}`);
    throw error;
  }
  return compileFilter(resource, filter, null);
}

/**
 * Resolves a filter's paths: from the root, or relative to `within` (the multi-valued attribute
 * of a value filter).
 */
export function compileFilter(resource: ResourceSchema, filter: Filter, within: Step | null): CompiledFilter {
  switch (filter.op) {
    case "and":
    case "or":
      return { op: filter.op, filters: filter.filters.map((f) => compileFilter(resource, f, within)) };
    case "not":
      return { op: "not", filter: compileFilter(resource, filter.filter, within) };
    case "valuePath": {
      const steps = filterSteps(resource, filter.path, within);
      const last = steps.at(-1)!;
      if (last.def.type !== "complex") {
        throw invalidFilter(`"${last.def.name}" is not a complex attribute: it cannot take [ ]`);
      }
      return { op: "valuePath", steps, filter: compileFilter(resource, filter.filter, last) };
    }
    case "pr":
      return { op: "pr", steps: filterSteps(resource, filter.path, within) };
    default: {
      const steps = withImplicitValue(filterSteps(resource, filter.path, within));
      checkComparison(steps.at(-1)!, filter.op, filter.value);
      return { op: filter.op, steps, value: filter.value };
    }
  }
}

function filterSteps(resource: ResourceSchema, path: AttrPath, within: Step | null): Step[] {
  try {
    if (within) return [subStep(within, path.attr)];
    const steps = resolvePath(resource, path);
    if (steps === null) throw new UnknownAttributeError(`"${path.attr}" is not kept by this server`);
    return steps;
  } catch (error) {
    if (error instanceof UnknownAttributeError) throw invalidFilter(`Invalid filter: ${error.message}`);
    throw error;
  }
}

/** `emails eq "x"` compares the values' `value` sub-attribute (RFC 7643 §2.4). */
function withImplicitValue(steps: Step[]): Step[] {
  const last = steps.at(-1)!;
  if (last.def.type !== "complex" || last.open) return steps;
  const value = findDef(last.def.subAttributes, "value");
  if (!value) throw invalidFilter(`"${last.def.name}" is complex: compare one of its sub-attributes`);
  return [...steps, { key: value.name, def: value }];
}

function checkComparison(step: Step, op: CompareOp, value: CompValue): void {
  if (step.open) return;
  const name = step.def.name;
  if (step.def.type === "boolean") {
    if (op !== "eq" && op !== "ne") throw invalidFilter(`"${name}" is a boolean: only eq, ne and pr apply`);
    if (value !== null && typeof value !== "boolean") {
      throw invalidFilter(`"${name}" is a boolean: compare it with true or false`);
    }
    return;
  }
  if (step.def.type === "dateTime") {
    if (SUBSTRING.has(op)) throw invalidFilter(`"${name}" is a dateTime: co, sw and ew do not apply`);
    if (value === null && (op === "eq" || op === "ne")) return;
    if (typeof value !== "string" || Number.isNaN(Date.parse(value))) {
      throw invalidFilter(`"${name}" is a dateTime: compare it with an ISO 8601 date-time string`);
    }
    return;
  }
  if (value === null && (op === "eq" || op === "ne")) return;
  if (typeof value !== "string")
    throw invalidFilter(`"${name}" is a string: compare it with a quoted string`);
}

/** The present values at the end of `steps`, multi-valued attributes flattened. */
export function valuesAt(document: unknown, steps: readonly Step[]): unknown[] {
  let current: unknown[] = [document];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const item of current) {
      if (!isObject(item)) continue;
      const value = getKey(item, step.key);
      if (Array.isArray(value)) next.push(...value);
      else if (value !== undefined && value !== null) next.push(value);
    }
    current = next;
  }
  return current.filter(isPresent);
}

/** RFC 7644: "pr" is a non-empty value, or a complex value with a non-empty sub-attribute. */
export function isPresent(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

export function matches(document: unknown, filter: CompiledFilter): boolean {
  switch (filter.op) {
    case "and":
      return filter.filters.every((f) => matches(document, f));
    case "or":
      return filter.filters.some((f) => matches(document, f));
    case "not":
      return !matches(document, filter.filter);
    case "pr":
      return valuesAt(document, filter.steps).length > 0;
    case "valuePath":
      return valuesAt(document, filter.steps).some((item) => matches(item, filter.filter));
    default: {
      const values = valuesAt(document, filter.steps);
      const step = filter.steps.at(-1)!;
      if (filter.value === null) return filter.op === "eq" ? values.length === 0 : values.length > 0;
      if (filter.op === "ne") return !values.some((v) => compare(v, "eq", filter.value, step));
      return values.some((v) => compare(v, filter.op as CompareOp, filter.value, step));
    }
  }
}

function fold(value: string, step: Step): string {
  return step.def.caseExact ? value : value.toLowerCase();
}

function compare(actual: unknown, op: CompareOp, expected: CompValue, step: Step): boolean {
  if (step.def.type === "dateTime" && !step.open) {
    if (typeof actual !== "string" || typeof expected !== "string") return false;
    return order(op, Date.parse(actual), Date.parse(expected));
  }
  if (typeof actual === "boolean" || typeof expected === "boolean") {
    return op === "eq" && actual === expected;
  }
  if (typeof actual === "number" && typeof expected === "number") {
    return op === "eq" ? actual === expected : ORDERING.has(op) && order(op, actual, expected);
  }
  if (typeof actual !== "string" || typeof expected !== "string") return false;
  const a = fold(actual, step);
  const e = fold(expected, step);
  switch (op) {
    case "eq":
      return a === e;
    case "co":
      return a.includes(e);
    case "sw":
      return a.startsWith(e);
    case "ew":
      return a.endsWith(e);
    default:
      return order(op, a, e);
  }
}

function order<T extends number | string>(op: CompareOp, a: T, b: T): boolean {
  switch (op) {
    case "eq":
      return a === b;
    case "gt":
      return a > b;
    case "ge":
      return a >= b;
    case "lt":
      return a < b;
    case "le":
      return a <= b;
    default:
      return false;
  }
}

/** Whether a filter reads the top-level attribute `key` (to load it only when it does). */
export function filterMentions(filter: CompiledFilter | null, key: string): boolean {
  if (!filter) return false;
  switch (filter.op) {
    case "and":
    case "or":
      return filter.filters.some((f) => filterMentions(f, key));
    case "not":
      return filterMentions(filter.filter, key);
    default:
      return filter.steps[0]?.key === key;
  }
}

// ---------------------------------------------------------------------------------------------
// Sorting

export type SortSpec = { steps: Step[]; descending: boolean };

export function compileSort(
  resource: ResourceSchema,
  sortBy: string,
  sortOrder: string | undefined,
): SortSpec {
  let steps: Step[] | null;
  try {
    steps = resolvePath(resource, parseAttrPath(sortBy.trim()));
  } catch (error) {
    if (error instanceof UnknownAttributeError || error instanceof FilterSyntaxError) {
      throw scimBadRequest("invalidValue", `sortBy: ${error.message}`);
    }
    throw error;
  }
  if (steps === null) throw scimBadRequest("invalidValue", `sortBy: "${sortBy}" is not kept by this server`);
  const order = (sortOrder ?? "ascending").toLowerCase();
  if (order !== "ascending" && order !== "descending") {
    throw scimBadRequest("invalidValue", 'sortOrder must be "ascending" or "descending"');
  }
  const last = steps.at(-1)!;
  if (last.def.type === "complex" && !last.open && !findDef(last.def.subAttributes, "value")) {
    // `name` or a whole extension: no value to sort by (`emails` sorts by its `value`).
    throw scimBadRequest(
      "invalidValue",
      `sortBy: "${last.def.name}" is complex: sort by one of its sub-attributes`,
    );
  }
  const full = last.def.type === "complex" && !last.open ? withImplicitValue(steps) : steps;
  return { steps: full, descending: order === "descending" };
}

/**
 * The value a resource sorts by: of a multi-valued attribute, the primary value or else the
 * first (RFC 7644 §3.4.2.3). Undefined when absent.
 */
export function sortValue(document: unknown, steps: readonly Step[]): unknown {
  let current: unknown = document;
  for (const step of steps) {
    if (!isObject(current)) return undefined;
    let value = getKey(current, step.key);
    if (Array.isArray(value)) {
      const present = value.filter(isPresent);
      value = present.find((v) => isObject(v) && getKey(v, "primary") === true) ?? present[0];
    }
    current = value;
  }
  return isPresent(current) ? current : undefined;
}

/** Compares two resources by a sort spec; absent values sort last ascending, first descending. */
export function compareBySort(a: unknown, b: unknown, spec: SortSpec): number {
  const step = spec.steps.at(-1)!;
  const x = sortValue(a, spec.steps);
  const y = sortValue(b, spec.steps);
  // Absent sorts as the greatest value: last ascending, first descending.
  const result =
    x === undefined || y === undefined
      ? Number(x === undefined) - Number(y === undefined)
      : compareValues(x, y, step);
  return spec.descending ? -result : result;
}

function compareValues(x: unknown, y: unknown, step: Step): number {
  let a: string | number | boolean;
  let b: string | number | boolean;
  if (step.def.type === "dateTime" && typeof x === "string" && typeof y === "string") {
    a = Date.parse(x);
    b = Date.parse(y);
  } else if (typeof x === "string" && typeof y === "string") {
    a = fold(x, step);
    b = fold(y, step);
  } else if (typeof x === typeof y && (typeof x === "number" || typeof x === "boolean")) {
    a = x as number | boolean;
    b = y as number | boolean;
  } else {
    a = String(x);
    b = String(y);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Projection

type Selection = Map<string, { key: string; all: boolean; children: Selection }>;

function select(tree: Selection, steps: readonly Step[]): void {
  let node = tree;
  steps.forEach((step, index) => {
    const name = lower(step.key);
    let entry = node.get(name);
    if (!entry) {
      entry = { key: step.key, all: false, children: new Map() };
      node.set(name, entry);
    }
    if (index === steps.length - 1) entry.all = true;
    node = entry.children;
  });
}

/** Parses a comma-separated `attributes`/`excludedAttributes` list; unknown names are ignored. */
export function parseAttributeList(resource: ResourceSchema, text: string | undefined): Selection | null {
  if (text === undefined || text.trim() === "") return null;
  const tree: Selection = new Map();
  for (const item of text.split(",")) {
    const name = item.trim();
    if (name === "") continue;
    try {
      const steps = resolvePath(resource, parseAttrPath(name));
      if (steps) select(tree, steps);
    } catch (error) {
      if (!(error instanceof UnknownAttributeError || error instanceof FilterSyntaxError)) throw error;
    }
  }
  return tree;
}

function pick(value: unknown, tree: Selection): unknown {
  if (Array.isArray(value)) return value.map((item) => pick(item, tree));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const entry of tree.values()) {
    const key = keyOf(value, entry.key);
    if (key === undefined) continue;
    out[key] = entry.all ? value[key] : pick(value[key], entry.children);
  }
  return out;
}

function drop(value: unknown, tree: Selection): unknown {
  if (Array.isArray(value)) return value.map((item) => drop(item, tree));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const entry of tree.values()) {
    const key = keyOf(out, entry.key);
    if (key === undefined) continue;
    if (entry.all) delete out[key];
    else out[key] = drop(out[key], entry.children);
  }
  return out;
}

/** Never left out: RFC 7643 `returned: always`. */
const ALWAYS = ["schemas", "id"];

export type Projection = { attributes: Selection | null; excluded: Selection | null };

export function projection(
  resource: ResourceSchema,
  attributes: string | undefined,
  excludedAttributes: string | undefined,
): Projection {
  return {
    attributes: parseAttributeList(resource, attributes),
    excluded: parseAttributeList(resource, excludedAttributes),
  };
}

/** Whether a projection returns the top-level attribute `name` (to skip loading it). */
export function returns(p: Projection, name: string): boolean {
  const key = lower(name);
  if (p.attributes) return p.attributes.has(key);
  const excluded = p.excluded?.get(key);
  return !excluded?.all;
}

export function project(document: ScimDocument, p: Projection): ScimDocument {
  let out: ScimDocument = document;
  if (p.attributes) {
    const picked = pick(document, p.attributes) as ScimDocument;
    out = {};
    for (const key of ALWAYS) if (document[key] !== undefined) out[key] = document[key];
    for (const [key, value] of Object.entries(picked)) out[key] = value;
  }
  if (p.excluded) {
    const kept = drop(out, p.excluded) as ScimDocument;
    for (const key of ALWAYS) if (out[key] !== undefined) kept[key] = out[key];
    out = kept;
  }
  return out;
}
