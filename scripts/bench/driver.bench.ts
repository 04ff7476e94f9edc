// The driver of the request paths, chosen on figures: one record by id (the row REST returns)
// through Prisma's ORM, Prisma's $queryRaw, the kernel's executor unnamed, and the kernel's
// executor with a named (prepared) statement, on one pool. Reports statements per second at 10
// concurrent callers and the process CPU per statement. Set BENCH_DATABASE_URL for PostgreSQL.
import { Prisma } from "../../src/generated/prisma/client.js";
import { createOrganization } from "../../src/identity/organizations.service.js";
import { type BenchResult, startBenchServer } from "./harness.js";

const SECONDS = 4;
const CONCURRENCY = 10;
const ROWS = 10_000;

async function measure(fn: (i: number) => Promise<unknown>): Promise<{ perSecond: number; cpuUs: number }> {
  let done = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    while (performance.now() - started < SECONDS * 1000) {
      await fn(done);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: Math.round(done / elapsed), cpuUs: Math.round((used.user + used.system) / done) };
}

export async function run(): Promise<BenchResult[]> {
  const server = await startBenchServer();
  try {
    const { prisma, sql } = server.db;
    const org = await createOrganization(prisma, { name: "Driver bench" });
    const orgId = org.organization.id;
    const moduleId = crypto.randomUUID();
    await prisma.$executeRaw`INSERT INTO record_modules (id, organization_id, slug, name, fields, updated_at)
      VALUES (${moduleId}::uuid, ${orgId}::uuid, 'deals', 'Deals', '[]', now())`;
    await prisma.$executeRaw`
      INSERT INTO records (id, organization_id, module_id, display_name, display_name_auto, fields,
        label_ids, type_ids, privacy_level, version)
      SELECT gen_random_uuid(), ${orgId}::uuid, ${moduleId}::uuid, 'Deal ' || g, true,
        jsonb_build_object('name', 'Deal ' || g), '{}', '{}', 'account', 1
      FROM generate_series(1, ${ROWS}::int) AS g`;
    const ids = (await prisma.$queryRaw<Array<{ id: string }>>`SELECT id FROM records LIMIT 1000`).map(
      (r) => r.id,
    );
    const id = (i: number) => ids[i % ids.length]!;
    const statement = (recordId: string) =>
      Prisma.sql`SELECT r.id, r.display_name AS "displayName", r.fields, r.label_ids AS "labelIds",
        r.privacy_level AS "privacyLevel", r.version, r.created_at AS "createdAt", r.updated_at AS "updatedAt"
        FROM records r WHERE r.id = ${recordId}::uuid AND r.organization_id = ${orgId}::uuid`;
    const variants: Array<[string, (i: number) => Promise<unknown>]> = [
      [
        "Prisma ORM findFirst",
        (i) => prisma.moduleRecord.findFirst({ where: { id: id(i), organizationId: orgId } }),
      ],
      ["Prisma $queryRaw", (i) => prisma.$queryRaw(statement(id(i)))],
      ["pg (kernel), unnamed", (i) => sql.rows(statement(id(i)))],
      ["pg (kernel), named/prepared", (i) => sql.rows(statement(id(i)), { name: "bench.byId" })],
    ];
    const results: BenchResult[] = [];
    for (const [name, fn] of variants) {
      await measure(fn); // warm-up (plans, prepared statements, JIT)
      const f = await measure(fn);
      results.push({
        name: `${server.db.kind}: ${name}`,
        value: f.perSecond,
        unit: "statements/s",
        note: `${f.cpuUs} µs of this process's CPU per statement, ${CONCURRENCY} concurrent`,
      });
    }
    return results;
  } finally {
    await server.close();
  }
}
