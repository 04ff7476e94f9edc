// Inputs of named data connections, shared by GraphQL and the admin CLI.
import { z } from "zod";

export const ConnectionName = z.string().trim().min(1, "must not be empty").max(200);
const PostgresUrl = z
  .string()
  .max(2000)
  .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
  .refine((url) => URL.canParse(url), "must be a valid URL");
const SqlName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, "must be a plain SQL name");

export const CreateConnectionInput = z.object({
  name: ConnectionName,
  platform: z.literal("postgres").default("postgres"),
  url: PostgresUrl,
  defaultSchema: SqlName.nullish(),
  runAsRole: SqlName.nullish(),
});
export type CreateConnectionInput = z.input<typeof CreateConnectionInput>;

export const UpdateConnectionInput = z.object({
  name: ConnectionName.optional(),
  url: PostgresUrl.optional(),
  defaultSchema: SqlName.nullish(),
  runAsRole: SqlName.nullish(),
});
export type UpdateConnectionInput = z.input<typeof UpdateConnectionInput>;
