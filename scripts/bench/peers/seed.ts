// The peer bench's data: an organisation, its owner key and a "deals" module created through the
// services, then 100 000 records written by one INSERT … SELECT generate_series, on a scratch
// PostgreSQL database or in an embedded PGlite data directory that the server child opens next.
// This file is the bench's only use of src/; everything after the seed goes over HTTP or SQL.
import { rmSync } from "node:fs";
import path from "node:path";
import { openDatabase } from "../../../src/db/database.js";
import { createScratchDatabase } from "../../../src/db/scratch-database.js";
import { createOrganization } from "../../../src/identity/organizations.service.js";
import { Viewer } from "../../../src/identity/viewer.js";
import { ModuleService } from "../../../src/records/modules.service.js";
import { FILTER_BOUND, FILTERED_ORDER_SQL, filterSql, SAMPLE_RECORD_NAME } from "./workloads.js";

export const MODULE_SLUG = "deals";

export type Seeded = {
  kind: "postgresql" | "embedded";
  /** The scratch database (PostgreSQL) the servers connect to; undefined on the embedded default. */
  databaseUrl: string | undefined;
  /** The embedded data directory the server child opens (DATA_DIR); undefined on PostgreSQL. */
  dataDir: string | undefined;
  organizationId: string;
  moduleId: string;
  ownerId: string;
  apiKey: string;
  /** The record "get one record by id" reads. */
  sampleRecordId: string;
  /** The answers every surface must give before it is measured, counted with plain SQL. */
  expected: { total: number; filteredTotal: number; firstId: string; filteredFirstId: string };
  /** `SHOW server_version` of the database the rows are in. */
  serverVersion: string;
  seedSeconds: number;
  /** Drops the scratch database or deletes the data directory. */
  drop(): Promise<void>;
};

export async function seed(options: {
  records: number;
  serverUrl: string | undefined;
  scratchDir: string;
}): Promise<Seeded> {
  const scratch = options.serverUrl ? await createScratchDatabase(options.serverUrl, "gw_bench_peers") : null;
  const dataDir = scratch
    ? undefined
    : path.join(options.scratchDir, `embedded-${process.pid}-${Date.now().toString(36)}`);
  const drop = async () => {
    await scratch?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const started = performance.now();
    const db = await openDatabase({ url: scratch?.url, dataDir, logger: { info() {}, warn() {} } });
    try {
      const prisma = db.prisma;
      const org = await createOrganization(prisma, { name: "Peer bench" });
      const orgId = org.organization.id;
      // Throughput, not the limiter, is measured.
      await prisma.$executeRaw`UPDATE api_keys SET rate_limit_per_minute = 100000000 WHERE organization_id = ${orgId}::uuid`;
      const owner = await prisma.user.findUniqueOrThrow({ where: { id: org.owner.id } });
      const modules = new ModuleService(prisma, Viewer.system({ id: orgId, name: "Peer bench" }, owner));
      const module = await modules.create({
        slug: MODULE_SLUG,
        name: "Deals",
        fields: [
          { slug: "name", label: "Name", type: "text", required: true },
          {
            slug: "status",
            label: "Status",
            type: "select",
            required: false,
            options: ["lead", "active", "won", "lost"],
          },
          {
            slug: "priority",
            label: "Priority",
            type: "select",
            required: false,
            options: ["low", "medium", "high"],
          },
          { slug: "deal_value", label: "Value", type: "currency", required: false },
          { slug: "close_date", label: "Close date", type: "date", required: false },
        ],
      });
      await prisma.$executeRaw`
        INSERT INTO records (id, organization_id, module_id, display_name, display_name_auto, fields,
          label_ids, type_ids, privacy_level, created_by_id, updated_by_id, version, created_at, updated_at)
        SELECT gen_random_uuid(), ${orgId}::uuid, ${module.id}::uuid, 'Deal ' || g, true,
          jsonb_build_object('name', 'Deal ' || g,
            'status', (ARRAY['lead','active','won','lost'])[1 + g % 4],
            'priority', (ARRAY['low','medium','high'])[1 + (g / 4) % 3],
            'deal_value', (g * 7919) % 100000,
            'close_date', to_char(date '2024-01-01' + (g % 365), 'YYYY-MM-DD')),
          '{}', '{}', 'account', ${owner.id}::uuid, ${owner.id}::uuid, 1,
          now() - make_interval(secs => g), now() - make_interval(secs => g)
        FROM generate_series(1, ${options.records}::int) AS g`;
      await prisma.$executeRawUnsafe("ANALYZE");
      const live = `r.module_id = $1::uuid AND r.deleted_at IS NULL`;
      const one = async <T>(sql: string, ...params: unknown[]) =>
        ((await prisma.$queryRawUnsafe(sql, ...params)) as T[])[0] as T;
      const sample = await one<{ id: string }>(
        `SELECT id FROM records r WHERE ${live} AND r.fields @> jsonb_build_object('name', $2::text)`,
        module.id,
        SAMPLE_RECORD_NAME,
      );
      const total = await one<{ n: number }>(
        `SELECT count(*)::int AS n FROM records r WHERE ${live}`,
        module.id,
      );
      const filtered = await one<{ n: number }>(
        `SELECT count(*)::int AS n FROM records r WHERE ${live} AND ${filterSql(2)}`,
        module.id,
        FILTER_BOUND,
      );
      const first = await one<{ id: string }>(
        `SELECT id FROM records r WHERE ${live} ORDER BY created_at DESC, id DESC LIMIT 1`,
        module.id,
      );
      const filteredFirst = await one<{ id: string }>(
        `SELECT id FROM records r WHERE ${live} AND ${filterSql(2)} ORDER BY ${FILTERED_ORDER_SQL} LIMIT 1`,
        module.id,
        FILTER_BOUND,
      );
      const version = await one<{ server_version: string }>("SHOW server_version");
      return {
        kind: db.kind,
        serverVersion: version.server_version,
        databaseUrl: scratch?.url,
        dataDir,
        organizationId: orgId,
        moduleId: module.id,
        ownerId: owner.id,
        apiKey: org.ownerKey.secret,
        sampleRecordId: sample.id,
        expected: {
          total: total.n,
          filteredTotal: filtered.n,
          firstId: first.id,
          filteredFirstId: filteredFirst.id,
        },
        seedSeconds: Math.round((performance.now() - started) / 100) / 10,
        drop,
      };
    } finally {
      await db.close();
    }
  } catch (error) {
    await drop();
    throw error;
  }
}
