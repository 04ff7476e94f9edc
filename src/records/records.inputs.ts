// Inputs of the modules and records services, validated once here for REST and GraphQL alike,
// plus the id formats of the Records API (`rec_<uuid>`, `mod_<uuid>`, `usr_<uuid>`).
import { z } from "zod";
import { isUuid } from "../identity/authenticate.js";

export const FIELD_TYPES = [
  "text",
  "long_text",
  "number",
  "currency",
  "boolean",
  "date",
  "datetime",
  "email",
  "phone",
  "url",
  "select",
  "multi_select",
  "reference",
  "user",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const RELATIONSHIP_TYPES = ["many_to_one", "many_to_many"] as const;
export type RelationshipType = (typeof RELATIONSHIP_TYPES)[number];

export const PRIVACY_LEVELS = ["account", "team", "private"] as const;
export type PrivacyLevel = (typeof PRIVACY_LEVELS)[number];

/** Slugs become JSON keys and URL segments: lower snake case, never user-chosen SQL. */
export const SLUG = /^[a-z][a-z0-9_]{0,62}$/;
const slug = z.string().regex(SLUG, "must be lower snake case: a-z, 0-9 and _, starting with a letter");

export const FieldDefinitionSchema = z
  .object({
    slug,
    label: z.string().trim().min(1, "must not be blank").max(200),
    type: z.enum(FIELD_TYPES),
    required: z.boolean().default(false),
    options: z.array(z.string().trim().min(1).max(200)).max(500).optional(),
    targetModuleSlug: slug.optional(),
    relationshipType: z.enum(RELATIONSHIP_TYPES).optional(),
  })
  .strict()
  .superRefine((field, ctx) => {
    const isSelect = field.type === "select" || field.type === "multi_select";
    if (isSelect && (!field.options || field.options.length === 0)) {
      ctx.addIssue({ code: "custom", path: ["options"], message: `a ${field.type} field needs options` });
    }
    if (!isSelect && field.options) {
      ctx.addIssue({ code: "custom", path: ["options"], message: "only select fields have options" });
    }
    if (field.type === "reference" && !field.targetModuleSlug) {
      ctx.addIssue({
        code: "custom",
        path: ["targetModuleSlug"],
        message: "a reference field needs a target",
      });
    }
    if (field.type !== "reference" && field.targetModuleSlug) {
      ctx.addIssue({
        code: "custom",
        path: ["targetModuleSlug"],
        message: "only reference fields have a target",
      });
    }
    if (field.relationshipType && field.type !== "reference" && field.type !== "user") {
      ctx.addIssue({
        code: "custom",
        path: ["relationshipType"],
        message: "only reference and user fields have a relationship type",
      });
    }
  });
export type FieldDefinitionInput = z.input<typeof FieldDefinitionSchema>;

/** A stored field definition: references always carry their relationship type. */
export type FieldDefinition = {
  slug: string;
  label: string;
  type: FieldType;
  required: boolean;
  options?: string[];
  targetModuleSlug?: string;
  relationshipType?: RelationshipType;
};

const fieldList = z
  .array(FieldDefinitionSchema)
  .max(200)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    fields.forEach((field, index) => {
      if (seen.has(field.slug)) {
        ctx.addIssue({
          code: "custom",
          path: [index, "slug"],
          message: `duplicate field slug "${field.slug}"`,
        });
      }
      seen.add(field.slug);
    });
  });

export const CreateModuleInput = z
  .object({
    slug,
    name: z.string().trim().min(1, "must not be blank").max(200),
    fields: fieldList.default([]),
    displayFields: z.array(slug).max(10).optional(),
    subtitleFields: z.array(slug).max(10).optional(),
  })
  .strict();
export type CreateModuleInput = z.input<typeof CreateModuleInput>;

export const UpdateModuleInput = z
  .object({
    slug,
    name: z.string().trim().min(1, "must not be blank").max(200).optional(),
    fields: fieldList.optional(),
    displayFields: z.array(slug).max(10).optional(),
    subtitleFields: z.array(slug).max(10).optional(),
  })
  .strict();
export type UpdateModuleInput = z.input<typeof UpdateModuleInput>;

/** Label and type ids are the caller's own identifiers (`lbl_vip`, `type_customer`). */
const tagId = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, "must be 1-100 of A-Z a-z 0-9 _ . : -");
const tagList = z.array(tagId).max(100);

export const CreateRecordInput = z
  .object({
    displayName: z.string().trim().min(1, "must not be blank").max(500).optional(),
    fields: z.record(z.string(), z.unknown()).optional(),
    labelIds: tagList.optional(),
    typeIds: tagList.optional(),
    privacyLevel: z.enum(PRIVACY_LEVELS).optional(),
    descriptionHtml: z.string().max(100_000).nullable().optional(),
  })
  .strict();
export type CreateRecordInput = z.input<typeof CreateRecordInput>;

export const UpdateRecordInput = CreateRecordInput.extend({
  version: z.number().int().min(1).optional(),
}).strict();
export type UpdateRecordInput = z.input<typeof UpdateRecordInput>;

const recordIdList = z
  .array(z.string().max(100))
  .min(1, "at least one record id")
  .max(100, "at most 100 ids");

export const BulkUpdateInput = z
  .object({
    recordIds: recordIdList,
    addLabelIds: tagList.optional(),
    removeLabelIds: tagList.optional(),
    addTypeIds: tagList.optional(),
    removeTypeIds: tagList.optional(),
  })
  .strict();
export type BulkUpdateInput = z.input<typeof BulkUpdateInput>;

export const RecordIdsInput = z.object({ recordIds: recordIdList }).strict();
export type RecordIdsInput = z.input<typeof RecordIdsInput>;

export const PageInput = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100, "must be at most 100").default(25),
});

export const PickerInput = z.object({
  search: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(50, "must be at most 50").default(10),
});

export const RECORD_PREFIX = "rec_";
export const MODULE_PREFIX = "mod_";
export const USER_PREFIX = "usr_";

export const recordRestId = (id: string) => `${RECORD_PREFIX}${id}`;
export const moduleRestId = (id: string) => `${MODULE_PREFIX}${id}`;
export const userRestId = (id: string) => `${USER_PREFIX}${id}`;

/** The uuid inside a prefixed id, or null when the id cannot name a row. */
export function parsePrefixedId(id: string, prefix: string): string | null {
  const raw = id.startsWith(prefix) ? id.slice(prefix.length) : id;
  return isUuid(raw) ? raw.toLowerCase() : null;
}
