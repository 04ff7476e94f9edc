// Inputs of the identity services, validated once here for the CLI, REST and GraphQL alike.
import { z } from "zod";
import { ALL_SCOPES, SCOPE_NAMES } from "./scopes.js";

export const RoleSchema = z.enum(["owner", "admin", "member"]);
export type Role = z.infer<typeof RoleSchema>;

const scopeList = z
  .array(z.enum([ALL_SCOPES, ...SCOPE_NAMES] as [string, ...string[]]))
  .min(1, "a key needs at least one scope")
  .max(64);

/** A caller's own identifier for a user or project (seed 002): printable text, unique per organisation. */
export const ExternalIdSchema = z
  .string()
  .min(1, "Must not be empty")
  .max(255, "Must be at most 255 characters")
  .regex(/^[^\p{Cc}]+$/u, "Must not contain control characters");

export const CreateOrganizationInput = z.object({
  name: z.string().trim().min(1, "must not be blank").max(200),
  ownerEmail: z.email().max(320).optional(),
  ownerName: z.string().trim().min(1).max(200).optional(),
});

export const CreateUserInput = z.object({
  email: z.email().max(320),
  displayName: z.string().trim().min(1, "must not be blank").max(200),
  role: RoleSchema.default("member"),
  externalId: ExternalIdSchema.optional(),
});

export const CreateApiKeyInput = z.object({
  name: z.string().trim().min(1, "must not be blank").max(200),
  userId: z.uuid().optional(),
  scopes: scopeList.default([ALL_SCOPES]),
  expiresAt: z.coerce
    .date()
    .refine((date) => date.getTime() > Date.now(), "must be in the future")
    .optional(),
  canActForUsers: z.boolean().default(false),
  /** Requests per rate-limit window for this key; the configured default when absent. */
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).optional(),
});

export type CreateOrganizationInput = z.input<typeof CreateOrganizationInput>;
export type CreateUserInput = z.input<typeof CreateUserInput>;
export type CreateApiKeyInput = z.input<typeof CreateApiKeyInput>;

/** PATCH /v1/users/{user_id}: a role, an external id (null clears it), or both. */
export const UpdateUserInput = z
  .object({ role: RoleSchema.optional(), externalId: ExternalIdSchema.nullish() })
  .strict()
  .refine((u) => u.role !== undefined || u.externalId !== undefined, { message: "Give role or external_id" });
export type UpdateUserInput = z.input<typeof UpdateUserInput>;
