// Fixtures for refresh/access token tests: a user with permission groups and a refresh token,
// renewals over REST, and the Authorization header of each API version.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { hashApiKeySecret } from "../../src/identity/api-key-secret.js";
import { Viewer } from "../../src/identity/viewer.js";
import { RefreshTokenService } from "../../src/tokens/tokens.service.js";
import type { TestApp, TestOrg } from "../helpers/app.js";

export type TokenUser = { userId: string; refreshToken: string };

/**
 * A user of `org` whose groups grant `permissions` (split over two groups, so scopes are their
 * union), holding a fresh refresh token. No permissions: no group at all.
 */
export async function tokenUser(t: TestApp, org: TestOrg, permissions: string[]): Promise<TokenUser> {
  const user = await t.prisma.user.create({
    data: { organizationId: org.id, email: `${randomUUID()}@token.example`, displayName: "Token user" },
  });
  const halves = [
    permissions.slice(0, Math.ceil(permissions.length / 2)),
    permissions.slice(Math.ceil(permissions.length / 2)),
  ];
  for (const half of halves.filter((h) => h.length > 0)) {
    const group = await t.prisma.group.create({
      data: { organizationId: org.id, displayName: `group ${randomUUID()}`, permissions: half },
    });
    await t.prisma.groupMember.create({ data: { groupId: group.id, userId: user.id } });
  }
  const owner = await t.prisma.user.findUniqueOrThrow({ where: { id: org.ownerId } });
  const created = await new RefreshTokenService(
    t.prisma,
    Viewer.system({ id: org.id, name: org.name }, owner),
    t.config.tokens,
  ).create({ userId: user.id, name: "integration" });
  return { userId: user.id, refreshToken: created.secret };
}

export function renew(
  app: FastifyInstance,
  version: 1 | 2,
  refreshToken: unknown,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: "POST",
    url: `/api/v${version}/tokens/renewtokens`,
    headers: { "content-type": "application/json" },
    payload: JSON.stringify({ refreshToken }),
  });
}

/** A fresh access token of `version` (asserts the renewal succeeded). */
export async function accessToken(
  app: FastifyInstance,
  version: 1 | 2,
  refreshToken: string,
): Promise<string> {
  const response = await renew(app, version, refreshToken);
  if (response.statusCode !== 200) throw new Error(`renewal failed: ${response.statusCode} ${response.body}`);
  return response.json().accessToken;
}

export function publicApi(version: 1 | 2, token: string): Record<string, string> {
  return { authorization: `${version === 2 ? "PublicApiV2" : "PublicApi"} ${token}` };
}

/** Makes a refresh token look `days` older (its lifetime unchanged): no sleeping. */
export async function ageRefreshToken(t: TestApp, secret: string, days: number): Promise<void> {
  const ms = Math.round(days * 86_400_000);
  await t.prisma.$executeRaw`
    UPDATE refresh_tokens
    SET created_at = created_at - ${ms}::float8 * interval '1 millisecond',
        expires_at = expires_at - ${ms}::float8 * interval '1 millisecond'
    WHERE secret_hash = ${hashApiKeySecret(secret)}`;
}

export function refreshTokenRow(t: TestApp, secret: string) {
  return t.prisma.refreshToken.findUniqueOrThrow({ where: { secretHash: hashApiKeySecret(secret) } });
}
