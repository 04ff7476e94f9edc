// Records fixtures: the demo modules (contacts, accounts, deals) in a fresh organisation, and
// small REST helpers over app.inject().
import type { FastifyInstance } from "fastify";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { seedRecordsDemo } from "../../src/records/records.seed.js";
import { bearer, createOrg, type TestOrg } from "../helpers/app.js";

export async function createRecordsOrg(prisma: PrismaClient, name = "Acme"): Promise<TestOrg> {
  const org = await createOrg(prisma, name);
  await seedRecordsDemo(prisma, org.id, org.ownerId);
  return org;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in tests
export type Json = Record<string, any>;

export function rest(app: FastifyInstance, key: string) {
  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await app.inject({
      method: method as "GET",
      url,
      headers: {
        ...bearer(key),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: response.statusCode, body: response.json() as Json, headers: response.headers };
  };
  return {
    get: (url: string, headers?: Record<string, string>) => call("GET", url, undefined, headers),
    post: (url: string, body?: unknown, headers?: Record<string, string>) => call("POST", url, body, headers),
    patch: (url: string, body: unknown, headers?: Record<string, string>) =>
      call("PATCH", url, body, headers),
    delete: (url: string) => call("DELETE", url),
  };
}

export function qs(params: Record<string, string | number>): string {
  return new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
}
