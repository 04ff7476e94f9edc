// Inputs of projects, members and users' external ids (seed 002), validated once here for REST
// and GraphQL alike.
import { z } from "zod";
import { ExternalIdSchema } from "../identity/identity.inputs.js";

export const PROJECT_ROLES = ["owner", "editor", "viewer"] as const;
export const ProjectRoleSchema = z.enum(PROJECT_ROLES);
export type ProjectRole = z.infer<typeof ProjectRoleSchema>;

export const PROJECT_STATUSES = ["active", "archived"] as const;
export const ProjectStatusSchema = z.enum(PROJECT_STATUSES);

const name = z.string().trim().min(1, "Must not be blank").max(200, "Must be at most 200 characters");
const description = z.string().max(10_000, "Must be at most 10000 characters");

export const CreateProjectInput = z
  .object({ name, description: description.nullish(), externalId: ExternalIdSchema.nullish() })
  .strict();

export const UpdateProjectInput = z
  .object({
    name: name.optional(),
    description: description.nullish(),
    externalId: ExternalIdSchema.nullish(),
    status: ProjectStatusSchema.optional(),
  })
  .strict()
  .refine((u) => Object.values(u).some((v) => v !== undefined), {
    message: "Give at least one field to change",
  });

export const ProjectListInput = z.object({
  externalId: ExternalIdSchema.optional(),
  /** A status filter wins over includeArchived; neither: active projects only. */
  status: ProjectStatusSchema.optional(),
  includeArchived: z.boolean().default(false),
  skip: z.number().int().min(0).default(0),
  // 101: a GraphQL page of 100 asks for one more row to tell whether another page follows.
  take: z.number().int().min(1).max(101).default(50),
});

export type CreateProjectInput = z.input<typeof CreateProjectInput>;
export type UpdateProjectInput = z.input<typeof UpdateProjectInput>;
export type ProjectListInput = z.input<typeof ProjectListInput>;
