// Execution API: large results (rows of an integer and a 32-character digest) over loopback HTTP as
// JSON, CSV and Arrow, at two sizes ten times apart, with the process's live heap sampled.
// Streaming shows as a peak that does not grow with the result; buffering as one that does. The
// client (same process) reads the body as a stream and discards it. Run with --expose-gc for a
// clean baseline: `node --expose-gc --import tsx scripts/bench.ts exec`.
import pg from "pg";
import { createOrganization } from "../../src/identity/organizations.service.js";
import { DEMO_CONNECTION_NAME, seedSemanticDemo } from "../../src/semantic/semantic.seed.js";
import { type BenchResult, startBenchServer } from "./harness.js";

const SIZES = [300_000, 3_000_000];
const sql = (rows: number) => `SELECT i, md5(i::text) AS digest FROM generate_series(1, ${rows}) AS i`;
const FORMATS = [
  ["JSON", "application/json"],
  ["CSV", "text/csv"],
  ["Arrow", "application/vnd.apache.arrow.stream"],
] as const;

const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

export async function run(): Promise<BenchResult[]> {
  const server = await startBenchServer({
    EXEC_MAX_ROWS: String(Math.max(...SIZES)),
    EXEC_STATEMENT_TIMEOUT_MS: "120000",
  });
  const results: BenchResult[] = [];
  let role: string | null = null;
  try {
    const prisma = server.db.prisma;
    const org = await createOrganization(prisma, { name: "Exec bench" });
    await seedSemanticDemo(prisma, org.organization.id, org.owner.id);
    role = (await prisma.dataConnection.findFirstOrThrow({ where: { name: DEMO_CONNECTION_NAME } }))
      .runAsRole;
    const where = process.env.BENCH_DATABASE_URL ? "PostgreSQL (streams)" : "embedded PGlite (read whole)";

    for (const [label, accept] of FORMATS)
      for (const rows of SIZES) {
        global.gc?.();
        const before = process.memoryUsage().heapUsed;
        let peak = before;
        // With --expose-gc each sample follows a full collection: the live heap (what the
        // response really holds), not garbage waiting for the collector.
        const sampler = setInterval(
          () => {
            global.gc?.();
            peak = Math.max(peak, process.memoryUsage().heapUsed);
          },
          global.gc ? 100 : 20,
        );
        const started = performance.now();
        let firstByte = 0;
        let bytes = 0;
        try {
          const response = await fetch(`${server.url}/api/v1/exec/sql`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${org.ownerKey.secret}`,
              "content-type": "application/json",
              accept,
            },
            body: JSON.stringify({ sql: sql(rows), connection: { name: DEMO_CONNECTION_NAME } }),
          });
          if (!response.ok || !response.body) throw new Error(`${label}: HTTP ${response.status}`);
          const reader = response.body.getReader();
          for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
            if (bytes === 0) firstByte = performance.now() - started;
            bytes += chunk.value.byteLength;
          }
        } finally {
          clearInterval(sampler);
        }
        const total = performance.now() - started;
        results.push({
          name: `${label}, ${rows.toLocaleString("en")} rows, ${where}`,
          value: Math.round(total),
          unit: "ms",
          note:
            `first byte after ${Math.round(firstByte)} ms, body ${mb(bytes)} MB, ` +
            `heap ${mb(before)} MB → peak ${mb(peak)} MB (+${mb(peak - before)} MB)`,
        });
      }
  } finally {
    await server.close();
    const serverUrl = process.env.BENCH_DATABASE_URL;
    if (serverUrl && role) {
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS "${role.replaceAll('"', '""')}"`);
      await admin.end();
    }
  }
  return results;
}
