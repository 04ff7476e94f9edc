// PATCH (RFC 7644 §3.5.2) applied to a resource's SCIM document. The service turns the patched
// document back into its columns with the same mapping as PUT, so PATCH and PUT validate alike.
// Tolerated client quirks: capitalised op names ("Replace", Entra ID), a path-less operation whose
// value names attributes with dotted or URN-qualified keys, booleans sent as "True"/"False".
import {
  type CompiledFilter,
  compileFilter,
  getKey,
  isObject,
  keyOf,
  matches,
  resolvePath,
  type ScimDocument,
  type Step,
  subStep,
  UnknownAttributeError,
} from "./scim.attributes.js";
import { scimBadRequest } from "./scim.errors.js";
import { FilterSyntaxError, parsePatchPath } from "./scim.filter.js";
import { type ResourceSchema, URN } from "./scim.schemas.js";

export type PatchOperation = {
  op: "add" | "replace" | "remove";
  /** The path as sent; null when the operation has none. */
  path: string | null;
  value: unknown;
};

/** More operations than any provisioning client sends in one request. */
export const MAX_OPERATIONS = 1000;

/**
 * Names that would reach an object's prototype machinery when used as keys: refused in paths
 * (400 invalidPath) and in values (400 invalidValue), whatever their case. The open enterprise
 * extension takes any attribute name, so without this `…:User:__proto__` was silently dropped.
 */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

function isUnsafeKey(key: string): boolean {
  return UNSAFE_KEYS.has(key.toLowerCase());
}

/** 400 invalidValue when an object anywhere in `value` has an unsafe key. */
export function checkSafeValue(value: unknown, where: string, depth = 0): void {
  if (depth > 64) throw scimBadRequest("invalidValue", `${where}: the value is nested too deeply`);
  if (Array.isArray(value)) {
    for (const item of value) checkSafeValue(item, where, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  for (const key of Object.keys(value)) {
    if (isUnsafeKey(key)) throw scimBadRequest("invalidValue", `${where}: "${key}" is not an attribute name`);
    checkSafeValue(value[key], where, depth + 1);
  }
}

/** Checks a PatchOp body's shape (RFC 7644 §3.5.2): 400 invalidSyntax / noTarget. */
export function parsePatchBody(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw scimBadRequest("invalidSyntax", "The body must be a PatchOp JSON object");
  const schemas = getKey(body, "schemas");
  if (
    schemas !== undefined &&
    !(
      Array.isArray(schemas) &&
      schemas.some((s) => typeof s === "string" && s.toLowerCase() === URN.patchOp.toLowerCase())
    )
  ) {
    throw scimBadRequest("invalidSyntax", `schemas must be ["${URN.patchOp}"]`);
  }
  const operations = getKey(body, "Operations");
  if (!Array.isArray(operations) || operations.length === 0) {
    throw scimBadRequest("invalidSyntax", "Operations must be a non-empty array of operations");
  }
  if (operations.length > MAX_OPERATIONS) {
    throw scimBadRequest("invalidSyntax", `At most ${MAX_OPERATIONS} operations per request`);
  }
  return operations.map((operation, index) => {
    const where = `Operations[${index}]`;
    if (!isObject(operation)) throw scimBadRequest("invalidSyntax", `${where} must be an object`);
    const op = getKey(operation, "op");
    const name = typeof op === "string" ? op.toLowerCase() : "";
    if (name !== "add" && name !== "replace" && name !== "remove") {
      throw scimBadRequest("invalidSyntax", `${where}.op must be add, replace or remove`);
    }
    const path = getKey(operation, "path");
    if (path !== undefined && path !== null && typeof path !== "string") {
      throw scimBadRequest("invalidPath", `${where}.path must be a string`);
    }
    const hasPath = typeof path === "string" && path.trim() !== "";
    const value = getKey(operation, "value");
    if (name === "remove" && !hasPath) {
      throw scimBadRequest("noTarget", `${where}: a remove operation needs a path`);
    }
    if (name !== "remove" && value === undefined) {
      throw scimBadRequest("invalidSyntax", `${where}: an ${name} operation needs a value`);
    }
    // A path-less value's own keys are paths (checked as such when applied); below them, values.
    if (!hasPath && isObject(value)) {
      for (const [key, item] of Object.entries(value)) checkSafeValue(item, `${where}.value.${key}`);
    } else checkSafeValue(value, `${where}.value`);
    return { op: name, path: hasPath ? (path as string) : null, value };
  });
}

type Target = {
  /** From the root to the attribute the operation is about. */
  steps: Step[];
  /** A value filter on the last step (a multi-valued attribute), relative to it. */
  filter: CompiledFilter | null;
  /** A sub-attribute after the value filter. */
  sub: Step | null;
};

function target(resource: ResourceSchema, text: string): Target | null {
  try {
    const parsed = parsePatchPath(text);
    const steps = resolvePath(resource, parsed.path);
    if (steps === null) return null;
    checkSafePath(text, steps);
    if (!parsed.filter) return { steps, filter: null, sub: null };
    const last = steps.at(-1)!;
    if (last.def.type !== "complex" || !last.def.multiValued) {
      throw scimBadRequest("invalidPath", `"${text}": [ ] applies to multi-valued complex attributes only`);
    }
    const filter = compileFilter(resource, parsed.filter, last);
    const sub = parsed.sub === null ? null : subStep(last, parsed.sub);
    if (sub) checkSafePath(text, [sub]);
    return { steps, filter, sub };
  } catch (error) {
    if (error instanceof FilterSyntaxError || error instanceof UnknownAttributeError) {
      throw scimBadRequest("invalidPath", `Invalid path "${text}": ${error.message}`);
    }
    throw error;
  }
}

function checkSafePath(text: string, steps: readonly Step[]): void {
  const unsafe = steps.find((step) => isUnsafeKey(step.key));
  if (unsafe)
    throw scimBadRequest("invalidPath", `Invalid path "${text}": "${unsafe.key}" is not an attribute name`);
}

/**
 * Applies the operations in order to a copy of `document` and returns it. `id` is the resource's
 * id: an operation may repeat it (Okta sends it in path-less replaces) but not change it.
 */
export function applyPatch(
  resource: ResourceSchema,
  document: ScimDocument,
  operations: readonly PatchOperation[],
  id: string,
): ScimDocument {
  const doc = structuredClone(document);
  for (const operation of operations) {
    if (operation.path === null) {
      applyPathless(resource, doc, operation, id);
      continue;
    }
    const where = target(resource, operation.path);
    if (where === null) continue; // an RFC attribute this server discards
    applyAt(doc, where, operation, id, operation.path);
  }
  return doc;
}

function applyPathless(resource: ResourceSchema, doc: ScimDocument, operation: PatchOperation, id: string) {
  if (!isObject(operation.value)) {
    throw scimBadRequest(
      "invalidValue",
      `An ${operation.op} without a path needs an object of attributes as its value`,
    );
  }
  for (const [key, value] of Object.entries(operation.value)) {
    const name = key.toLowerCase();
    if (name === "schemas" || name === "meta") continue;
    const where = target(resource, key);
    if (where === null) continue;
    applyAt(doc, where, { ...operation, value }, id, key);
  }
}

function applyAt(doc: ScimDocument, where: Target, operation: PatchOperation, id: string, path: string) {
  const top = where.steps[0]!;
  if (top.def.mutability === "readOnly") {
    if (top.key === "id" && operation.op !== "remove" && operation.value === id) return;
    throw scimBadRequest("mutability", `"${top.def.name}" is read-only`);
  }
  const parents = containers(doc, where.steps.slice(0, -1), operation.op !== "remove");
  const last = where.steps.at(-1)!;
  if (where.filter) {
    applyFiltered(parents, last, where.filter, where.sub, operation, path);
    return;
  }
  for (const parent of parents) {
    if (operation.op === "remove") removeAt(parent, last, operation.value);
    else if (operation.op === "add") addAt(parent, last, operation.value);
    else replaceAt(parent, last, operation.value);
  }
}

/**
 * The objects holding the last step: each step before it descends into a complex attribute (all
 * values of a multi-valued one). Missing ones are created when adding or replacing.
 */
function containers(doc: ScimDocument, steps: readonly Step[], create: boolean): Record<string, unknown>[] {
  let current: Record<string, unknown>[] = [doc];
  for (const step of steps) {
    const next: Record<string, unknown>[] = [];
    for (const holder of current) {
      const key = keyOf(holder, step.key) ?? step.key;
      const value = holder[key];
      if (Array.isArray(value) && value.some(isObject)) next.push(...value.filter(isObject));
      else if (isObject(value)) next.push(value);
      else if (create) {
        const made: Record<string, unknown> = {};
        holder[key] = step.def.multiValued ? [made] : made;
        next.push(made);
      }
    }
    current = next;
  }
  return current;
}

function setKey(holder: Record<string, unknown>, name: string, value: unknown): void {
  holder[keyOf(holder, name) ?? name] = value;
}

function deleteKey(holder: Record<string, unknown>, name: string): void {
  const key = keyOf(holder, name);
  if (key !== undefined) delete holder[key];
}

/** Merges sub-attributes into a complex value: those given replace, the others stay. */
function merge(into: Record<string, unknown>, value: unknown, step: Step): void {
  if (!isObject(value)) {
    throw scimBadRequest("invalidValue", `"${step.def.name}" is complex: its value must be an object`);
  }
  for (const [key, sub] of Object.entries(value)) setKey(into, key, structuredClone(sub));
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}

const valueDef = (step: Step) => step.def.subAttributes?.find((d) => d.name === "value");

/** Two values of a multi-valued attribute are the same value when their `value`s are equal. */
function sameValue(step: Step, a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b) && valueDef(step)) {
    const x = getKey(a, "value");
    const y = getKey(b, "value");
    if (typeof x === "string" && typeof y === "string") {
      return valueDef(step)!.caseExact ? x === y : x.toLowerCase() === y.toLowerCase();
    }
    return x !== undefined && x === y;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** RFC 7643 §2.4: at most one primary value; the one just written wins. */
function keepOnePrimary(values: unknown[], touched: readonly unknown[]): void {
  if (!touched.some((t) => isObject(t) && isTrue(getKey(t, "primary")))) return;
  for (const value of values) {
    if (isObject(value) && !touched.includes(value) && isTrue(getKey(value, "primary"))) {
      setKey(value, "primary", false);
    }
  }
}

function listOf(holder: Record<string, unknown>, step: Step): unknown[] {
  const value = getKey(holder, step.key);
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

function addAt(holder: Record<string, unknown>, step: Step, value: unknown): void {
  if (step.def.multiValued) {
    const values = listOf(holder, step);
    const touched: unknown[] = [];
    for (const item of Array.isArray(value) ? value : [value]) {
      const existing = values.find((v) => sameValue(step, v, item));
      if (existing !== undefined && isObject(existing) && isObject(item)) {
        // The same value again (compared as the attribute compares): its other sub-attributes merge.
        const { [keyOf(item, "value") ?? "value"]: _same, ...rest } = item;
        merge(existing, rest, step);
        touched.push(existing);
      } else if (existing === undefined) {
        const copy = structuredClone(item);
        values.push(copy);
        touched.push(copy);
      }
    }
    keepOnePrimary(values, touched);
    setKey(holder, step.key, values);
    return;
  }
  if (step.def.type === "complex" && !step.open) {
    const current = getKey(holder, step.key);
    const into = isObject(current) ? current : {};
    // Entra ID sets the enterprise manager to a bare id: a complex attribute with a `value`
    // sub-attribute takes a simple value as that.
    merge(into, !isObject(value) && valueDef(step) ? { value } : value, step);
    setKey(holder, step.key, into);
    return;
  }
  setKey(holder, step.key, structuredClone(value));
}

function replaceAt(holder: Record<string, unknown>, step: Step, value: unknown): void {
  if (step.def.multiValued) {
    const values = structuredClone(Array.isArray(value) ? value : [value]);
    keepOnePrimary(values, values.slice(-1));
    setKey(holder, step.key, values);
    return;
  }
  // A complex value's sub-attributes replace those given and leave the others (RFC 7644 §3.5.2.3).
  addAt(holder, step, value);
}

function removeAt(holder: Record<string, unknown>, step: Step, value: unknown): void {
  if (step.def.multiValued && value !== undefined && value !== null) {
    const gone = Array.isArray(value) ? value : [value];
    const kept = listOf(holder, step).filter((v) => !gone.some((g) => sameValue(step, v, g)));
    if (kept.length > 0) setKey(holder, step.key, kept);
    else deleteKey(holder, step.key);
    return;
  }
  deleteKey(holder, step.key);
}

function applyFiltered(
  parents: Record<string, unknown>[],
  step: Step,
  filter: CompiledFilter,
  sub: Step | null,
  operation: PatchOperation,
  path: string,
): void {
  let matched = 0;
  for (const holder of parents) {
    const values = listOf(holder, step);
    const hits = values.filter((v) => isObject(v) && matches(v, filter)) as Record<string, unknown>[];
    matched += hits.length;
    if (hits.length === 0) continue;
    if (operation.op === "remove") {
      if (sub) for (const hit of hits) deleteKey(hit, sub.key);
      else {
        const kept = values.filter((v) => !hits.includes(v as Record<string, unknown>));
        if (kept.length > 0) setKey(holder, step.key, kept);
        else deleteKey(holder, step.key);
      }
      continue;
    }
    for (const hit of hits) {
      if (sub) setKey(hit, sub.key, structuredClone(operation.value));
      else merge(hit, operation.value, step);
    }
    keepOnePrimary(values, hits);
    setKey(holder, step.key, values);
  }
  if (matched > 0) return;
  // Entra ID adds `emails[type eq "work"].value` to users that have no work address yet: a
  // filter of equalities describes the value to create.
  const made = operation.op !== "remove" && sub ? valueFromEqualities(filter) : null;
  if (!made || !sub || parents.length === 0) {
    throw scimBadRequest("noTarget", `No value matches the path "${path}"`);
  }
  const holder = parents[0]!;
  made[sub.key] = structuredClone(operation.value);
  const values = [...listOf(holder, step), made];
  keepOnePrimary(values, [made]);
  setKey(holder, step.key, values);
}

function valueFromEqualities(filter: CompiledFilter): Record<string, unknown> | null {
  if (filter.op === "eq" && filter.steps.length === 1 && filter.value !== null) {
    return { [filter.steps[0]!.key]: filter.value };
  }
  if (filter.op === "and") {
    const out: Record<string, unknown> = {};
    for (const part of filter.filters) {
      const made = valueFromEqualities(part);
      if (!made) return null;
      Object.assign(out, made);
    }
    return out;
  }
  return null;
}
