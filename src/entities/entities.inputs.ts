// Inputs of the Entities API (seed 000), validated once here for REST and GraphQL alike.
import { z } from "zod";

export const ENTITY_PREFIX = "ent_";
export const entityRestId = (id: string) => `${ENTITY_PREFIX}${id}`;

/** Attribute keys double as filter and sort names (`attributes.<key>`), so they are identifiers. */
export const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const TYPE = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_ATTRIBUTES = 100;
const MAX_ATTRIBUTES_BYTES = 32_768;

const typeSchema = z
  .string()
  .regex(TYPE, "Must be lowercase letters, digits and _ (at most 64), starting with a letter");
const nameSchema = z.string().trim().min(1, "Must not be blank").max(200, "Must be at most 200 characters");

/**
 * Any JSON value, as z.json() but registered under an id: a recursive schema must be a named
 * component for OpenAPI (#/components/schemas/JsonValue), and z.json().meta() would name a copy
 * while the recursion still pointed at the unnamed original.
 */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const JsonValue: z.ZodType<Json> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(JsonValue),
    z.record(z.string(), JsonValue),
  ]),
);
z.globalRegistry.add(JsonValue, { id: "JsonValue" });

function attributesSchema(allowNull: boolean) {
  const value = allowNull ? JsonValue : JsonValue.refine((v) => v !== null, "Must not be null");
  return z
    .record(z.string().regex(ATTRIBUTE_KEY, "Attribute keys must be identifiers (letters, digits, _)"), value)
    .refine((a) => Object.keys(a).length <= MAX_ATTRIBUTES, `At most ${MAX_ATTRIBUTES} attributes`)
    .refine(
      (a) => JSON.stringify(a).length <= MAX_ATTRIBUTES_BYTES,
      `At most ${MAX_ATTRIBUTES_BYTES} bytes of JSON`,
    );
}

export const CreateEntityInput = z
  .object({ type: typeSchema, name: nameSchema, attributes: attributesSchema(false).default({}) })
  .strict();

/** A merge patch: attributes given are set, attributes given as null are removed. */
export const UpdateEntityInput = z
  .object({
    type: typeSchema.optional(),
    name: nameSchema.optional(),
    attributes: attributesSchema(true).optional(),
  })
  .strict()
  .refine((u) => u.type !== undefined || u.name !== undefined || u.attributes !== undefined, {
    message: "Give at least one of type, name, attributes",
  });

const isoDate = z.union([z.date(), z.iso.date(), z.iso.datetime({ offset: true })], {
  error: "Must be an ISO 8601 date (2024-01-31) or date-time (2024-01-31T10:00:00Z)",
});

/** Core fields that `sort` and `fields` know besides `attributes.<key>`. */
export const CORE_SORT_FIELDS = ["id", "type", "name", "created_at", "updated_at"] as const;
export const ENTITY_FIELDS = ["id", "type", "name", "attributes", "created_at", "updated_at"] as const;
export type EntityField = (typeof ENTITY_FIELDS)[number];

export type SortKey = { field: string; attribute: string | null; descending: boolean };

const sortSchema = z.string().transform((text, ctx): SortKey[] => {
  const keys: SortKey[] = [];
  for (const part of text.split(",").map((p) => p.trim())) {
    const descending = part.startsWith("-");
    const field = descending ? part.slice(1) : part;
    const attribute = field.startsWith("attributes.") ? field.slice("attributes.".length) : null;
    const known =
      attribute !== null
        ? ATTRIBUTE_KEY.test(attribute)
        : (CORE_SORT_FIELDS as readonly string[]).includes(field);
    if (!known || keys.some((k) => k.field === field)) {
      ctx.addIssue({
        code: "custom",
        message: `Unknown or repeated sort field "${field}"; sort on ${CORE_SORT_FIELDS.join(", ")} or attributes.<key>`,
      });
      return z.NEVER;
    }
    keys.push({ field, attribute, descending });
  }
  return keys;
});

export const EntityListInput = z
  .object({
    type: typeSchema.optional(),
    createdAfter: isoDate.optional(),
    createdBefore: isoDate.optional(),
    attributes: z
      .record(z.string().regex(ATTRIBUTE_KEY, "Must be an attribute key"), z.string().max(1000))
      .default({}),
    sort: sortSchema.default([{ field: "created_at", attribute: null, descending: false }]),
    limit: z.number().int().min(1).max(100).default(25),
    page: z.number().int().min(1).optional(),
    cursor: z.string().max(4096).optional(),
  })
  .refine((i) => !(i.page !== undefined && i.cursor !== undefined), {
    message: "Use either page or cursor, not both",
    path: ["cursor"],
  });

export type CreateEntityInput = z.input<typeof CreateEntityInput>;
export type UpdateEntityInput = z.input<typeof UpdateEntityInput>;
export type EntityListInput = z.input<typeof EntityListInput>;

export function parseFields(text: string | undefined): EntityField[] | null {
  if (text === undefined) return null;
  const fields = text.split(",").map((f) => f.trim());
  return fields.every((f) => (ENTITY_FIELDS as readonly string[]).includes(f))
    ? (fields as EntityField[])
    : [];
}
