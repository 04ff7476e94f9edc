// The application over a fresh database, driven in-process with app.inject(), plus small
// fixtures: organisations with owner keys, keys with chosen scopes, GraphQL calls.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { buildApp } from "../../src/app.js";
import { type Config, loadConfig } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { issueApiKey } from "../../src/identity/api-keys.service.js";
import { createOrganization } from "../../src/identity/organizations.service.js";
import { openTestDatabase } from "./database.js";

export type TestApp = {
  app: FastifyInstance;
  db: Database;
  prisma: PrismaClient;
  config: Config;
  close(): Promise<void>;
};

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  // A private DATA_DIR: generated files (e.g. the connections key) never land in the checkout.
  const dataDir = mkdtempSync(path.join(tmpdir(), "gw-test-data-"));
  const config = loadConfig({ DEMO_DATA: "false", LOG_LEVEL: "silent", DATA_DIR: dataDir, ...env });
  const db = await openTestDatabase();
  const app = await buildApp({ config, db, logger: false });
  await app.ready();
  return {
    app,
    db,
    prisma: db.prisma,
    config,
    async close() {
      await app.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestOrg = { id: string; name: string; ownerId: string; key: string };

export async function createOrg(prisma: PrismaClient, name = "Acme"): Promise<TestOrg> {
  const created = await createOrganization(prisma, { name });
  return { id: created.organization.id, name, ownerId: created.owner.id, key: created.ownerKey.secret };
}

export async function createKey(
  prisma: PrismaClient,
  org: TestOrg,
  options: { scopes: string[]; expiresAt?: Date; canActForUsers?: boolean; userId?: string },
): Promise<string> {
  const created = await issueApiKey(prisma, {
    organizationId: org.id,
    userId: options.userId ?? org.ownerId,
    name: `test key ${options.scopes.join(",")}`,
    scopes: options.scopes,
    expiresAt: options.expiresAt,
    canActForUsers: options.canActForUsers ?? false,
  });
  return created.secret;
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

export type GraphQLResponse<T = Record<string, unknown>> = {
  status: number;
  body: { data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  response: LightMyRequestResponse;
};

export async function gql<T = Record<string, unknown>>(
  app: FastifyInstance,
  key: string | null,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await app.inject({
    method: "POST",
    url: "/graphql",
    headers: { "content-type": "application/json", ...(key ? bearer(key) : {}), ...headers },
    payload: JSON.stringify({ query, variables }),
  });
  return { status: response.statusCode, body: response.json(), response };
}

/** Decodes a Relay global id into its type name and key. */
export function decodeGlobalId(id: string): { type: string; id: string } {
  const text = Buffer.from(id, "base64").toString("utf8");
  const index = text.indexOf(":");
  return { type: text.slice(0, index), id: text.slice(index + 1) };
}

export function globalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`).toString("base64");
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
export type Json = any;
