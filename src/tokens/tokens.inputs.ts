// Inputs of the token services, validated once here for GraphQL, REST and the CLI alike.
import { z } from "zod";

export const CreateRefreshTokenInput = z.object({
  userId: z.uuid("must be a user id"),
  name: z.string().trim().min(1, "must not be blank").max(200),
  /** Days until the token expires; REFRESH_TOKEN_TTL_DAYS when absent. */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type CreateRefreshTokenInput = z.input<typeof CreateRefreshTokenInput>;

export const RefreshTokenFilter = z.object({
  userId: z.uuid("must be a user id").optional(),
  includeRotated: z.boolean().default(false),
});
export type RefreshTokenFilter = z.input<typeof RefreshTokenFilter>;

/** The body of POST /api/v1|v2/tokens/renewtokens. */
export const RenewTokensBody = z
  .object({
    refreshToken: z
      .string({ message: "is required: the refresh token to renew with" })
      .min(1, "must not be empty")
      .max(512, "is too long to be a refresh token"),
  })
  .meta({ id: "RenewTokensRequest" });
export type RenewTokensBody = z.infer<typeof RenewTokensBody>;
