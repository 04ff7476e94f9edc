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

/**
 * `count` account-visible records in the organisation's `deals` module, in one statement (the
 * newest first by a second apart), then ANALYZE so plans see them.
 */
export async function insertDeals(prisma: PrismaClient, org: TestOrg, count: number): Promise<void> {
  const [module] = await prisma.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM record_modules WHERE organization_id = ${org.id}::uuid AND slug = 'deals'`;
  await prisma.$executeRaw`
    INSERT INTO records (id, organization_id, module_id, display_name, display_name_auto, fields,
      label_ids, type_ids, privacy_level, created_by_id, updated_by_id, version, created_at, updated_at)
    SELECT gen_random_uuid(), ${org.id}::uuid, ${module!.id}::uuid, 'Deal ' || g, true,
      jsonb_build_object('name', 'Deal ' || g), '{}', '{}', 'account', ${org.ownerId}::uuid,
      ${org.ownerId}::uuid, 1, now() - make_interval(secs => g), now() - make_interval(secs => g)
    FROM generate_series(1, ${count}::int) AS g`;
  await prisma.$executeRawUnsafe("ANALYZE records");
}
