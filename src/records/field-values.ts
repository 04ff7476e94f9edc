// Field values checked and normalised against a module's field schema. Stored JSON never holds
// null or empty values: clearing a field removes its key, so "is null" means "key absent".
import { type FieldIssue, ValidationError } from "../errors.js";
import {
  type FieldDefinition,
  parsePrefixedId,
  RECORD_PREFIX,
  recordRestId,
  USER_PREFIX,
  userRestId,
} from "./records.inputs.js";

export type Constraint = "required" | "type" | "format" | "option" | "unknown_field" | "reference" | "length";
type Problem = { field: string; message: string; constraint: Constraint };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ().\-/]{3,40}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export function isMultiValued(field: FieldDefinition): boolean {
  return (
    field.type === "multi_select" ||
    ((field.type === "reference" || field.type === "user") && field.relationshipType === "many_to_many")
  );
}

export function isValidDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** A datetime in the one stored form (UTC, milliseconds), so text order is time order. */
export function normalizeDatetime(text: string): string | null {
  if (!DATETIME.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** One scalar value of a field, normalised; a message when it does not fit. */
export function normalizeScalar(
  field: FieldDefinition,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; message: string; constraint: Constraint } {
  const fail = (message: string, constraint: Constraint = "type") => ({
    ok: false as const,
    message,
    constraint,
  });
  switch (field.type) {
    case "text":
    case "long_text": {
      if (typeof value !== "string") return fail("Must be a string");
      const max = field.type === "text" ? 10_000 : 100_000;
      return value.length > max ? fail(`Must be at most ${max} characters`, "length") : { ok: true, value };
    }
    case "number":
    case "currency":
      return typeof value === "number" && Number.isFinite(value)
        ? { ok: true, value }
        : fail("Must be a number");
    case "boolean":
      return typeof value === "boolean" ? { ok: true, value } : fail("Must be true or false");
    case "date":
      return typeof value === "string" && isValidDate(value)
        ? { ok: true, value }
        : fail("Must be a date as YYYY-MM-DD", "format");
    case "datetime": {
      const normalized = typeof value === "string" ? normalizeDatetime(value) : null;
      return normalized
        ? { ok: true, value: normalized }
        : fail("Must be an ISO 8601 date-time with a time zone", "format");
    }
    case "email":
      return typeof value === "string" && EMAIL.test(value) && value.length <= 320
        ? { ok: true, value }
        : fail("Invalid email format", "format");
    case "phone":
      return typeof value === "string" && PHONE.test(value) && /\d.*\d.*\d/.test(value)
        ? { ok: true, value }
        : fail("Invalid phone number", "format");
    case "url": {
      if (typeof value !== "string" || value.length > 2048) return fail("Invalid URL", "format");
      try {
        const url = new URL(value);
        return url.protocol === "http:" || url.protocol === "https:"
          ? { ok: true, value }
          : fail("URL must use http or https", "format");
      } catch {
        return fail("Invalid URL", "format");
      }
    }
    case "select":
    case "multi_select":
      return typeof value === "string" && (field.options ?? []).includes(value)
        ? { ok: true, value }
        : fail(`Must be one of: ${(field.options ?? []).join(", ")}`, "option");
    case "reference": {
      const id = typeof value === "string" ? parsePrefixedId(value, RECORD_PREFIX) : null;
      return id && typeof value === "string" && value.startsWith(RECORD_PREFIX)
        ? { ok: true, value: recordRestId(id) }
        : fail(`Must be a record id (${RECORD_PREFIX}...)`, "reference");
    }
    case "user": {
      const id = typeof value === "string" ? parsePrefixedId(value, USER_PREFIX) : null;
      return id
        ? { ok: true, value: userRestId(id) }
        : fail(`Must be a user id (${USER_PREFIX}...)`, "reference");
    }
  }
}

/** A whole value of a field (an array for multi-valued fields); null when it clears the field. */
export function normalizeValue(
  field: FieldDefinition,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; message: string; constraint: Constraint } {
  if (value === null || value === undefined || value === "") return { ok: true, value: null };
  if (!isMultiValued(field)) return normalizeScalar(field, value);
  if (!Array.isArray(value)) return { ok: false, message: "Must be a list", constraint: "type" };
  if (value.length > 1000) return { ok: false, message: "At most 1000 values", constraint: "length" };
  const out: unknown[] = [];
  for (const item of value) {
    const one = normalizeScalar(field, item);
    if (!one.ok) return one;
    if (!out.includes(one.value)) out.push(one.value);
  }
  return { ok: true, value: out.length > 0 ? out : null };
}

/**
 * Applies `input` to `current` (create: current is {}), checking every value and then the
 * required fields on the result. Throws a ValidationError in the seed's shape: per-field
 * details in `fields`, and `field`/`constraint` when there is exactly one problem.
 */
export function applyFieldValues(
  moduleSlug: string,
  schema: FieldDefinition[],
  current: Record<string, unknown>,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const bySlug = new Map(schema.map((f) => [f.slug, f]));
  const problems: Problem[] = [];
  const result: Record<string, unknown> = {};
  // Values of fields no longer in the schema are dropped on write.
  for (const [slug, value] of Object.entries(current)) if (bySlug.has(slug)) result[slug] = value;
  for (const [slug, value] of Object.entries(input)) {
    const field = bySlug.get(slug);
    if (!field) {
      problems.push({
        field: slug,
        message: `Unknown field for module ${moduleSlug}`,
        constraint: "unknown_field",
      });
      continue;
    }
    const normalized = normalizeValue(field, value);
    if (!normalized.ok)
      problems.push({ field: slug, message: normalized.message, constraint: normalized.constraint });
    else if (normalized.value === null) delete result[slug];
    else result[slug] = normalized.value;
  }
  for (const field of schema) {
    if (field.required && result[field.slug] === undefined && !problems.some((p) => p.field === field.slug)) {
      problems.push({
        field: field.slug,
        message: `The ${field.slug} field is required`,
        constraint: "required",
      });
    }
  }
  if (problems.length > 0) throw fieldValidationError(problems);
  return result;
}

export function fieldValidationError(problems: Problem[]): ValidationError {
  const issues: FieldIssue[] = problems.map(({ field, message }) => ({ field, message }));
  const only = problems.length === 1 ? problems[0] : undefined;
  if (only) {
    const message = only.constraint === "required" ? only.message : `${only.field}: ${only.message}`;
    return new ValidationError(message, issues, { field: only.field, constraint: only.constraint });
  }
  return new ValidationError("Invalid field values", issues);
}
