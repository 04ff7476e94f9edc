import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../src/db/embedded.js";
import { MIGRATIONS_DIR, migrate, readMigrations } from "../../src/db/migrator.js";
import { createScratchDatabase, testDatabaseServerUrl } from "../helpers/database.js";

const quiet = { info() {}, warn() {} };

async function rows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("migrator", () => {
  let target: { url: string; stop(): Promise<void> };

  beforeAll(async () => {
    const server = testDatabaseServerUrl();
    if (server) {
      const scratch = await createScratchDatabase(server);
      target = { url: scratch.url, stop: scratch.drop };
    } else {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres(undefined);
      target = embedded;
    }
  });
  afterAll(() => target.stop());

  it("applies every migration once, recording Prisma's columns and checksums", async () => {
    const migrations = readMigrations();
    const dirs = readdirSync(MIGRATIONS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(migrations.map((m) => m.name)).toEqual(dirs.map((d) => d.name).sort());

    const applied = await migrate(target.url, quiet);
    expect(applied).toEqual(migrations.map((m) => m.name));

    const recorded = await rows(
      target.url,
      `SELECT id, checksum, migration_name, finished_at, rolled_back_at, started_at, applied_steps_count, logs
       FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(recorded).toHaveLength(migrations.length);
    for (const [index, migration] of migrations.entries()) {
      const row = recorded[index]!;
      expect(row.migration_name).toBe(migration.name);
      const sql = readFileSync(`${MIGRATIONS_DIR}/${migration.name}/migration.sql`);
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(String(row.id)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("logs when each migration starts and finishes, and a summary (issue 13, item 5)", async () => {
    const server = testDatabaseServerUrl();
    const fresh = server ? await createScratchDatabase(server) : await startEmbeddedPostgres(undefined);
    try {
      const lines: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
      const logger = {
        info: (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields }),
        warn: (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields }),
      };
      const names = readMigrations().map((m) => m.name);
      await migrate(fresh.url, logger);
      const expected = names.flatMap((name) => [
        { msg: "migration started", fields: { migration: name } },
        { msg: "migration finished", fields: { migration: name, durationMs: expect.any(Number) } },
      ]);
      expect(lines).toEqual([
        ...expected,
        {
          msg: "migrations up to date",
          fields: { applied: names.length, total: names.length, durationMs: expect.any(Number) },
        },
      ]);
      lines.length = 0;
      await migrate(fresh.url, logger);
      expect(lines).toEqual([
        {
          msg: "migrations up to date",
          fields: { applied: 0, total: names.length, durationMs: expect.any(Number) },
        },
      ]);
    } finally {
      await ("drop" in fresh ? fresh.drop() : fresh.stop());
    }
  });

  it("applies nothing the second time", async () => {
    expect(await migrate(target.url, quiet)).toEqual([]);
  });

  it("warns when an applied migration was edited afterwards", async () => {
    const warnings: string[] = [];
    const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
    await migrate(target.url, { info() {}, warn: (msg) => warnings.push(msg) }, edited);
    expect(warnings).toEqual([expect.stringContaining("was modified after it was applied")]);
  });

  it("rolls a failing migration back and records nothing for it", async () => {
    const broken = [
      ...readMigrations(),
      {
        name: "29990101000000_broken",
        sql: "CREATE TABLE ok_part (id int); SELECT no_such_column FROM nowhere;",
        checksum: "f".repeat(64),
      },
    ];
    await expect(migrate(target.url, quiet, broken)).rejects.toThrow(/29990101000000_broken failed/);
    const tables = await rows(target.url, "SELECT to_regclass('ok_part') AS t");
    expect(tables[0]!.t).toBeNull();
    const recorded = await rows(
      target.url,
      `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`,
    );
    expect(recorded).toHaveLength(0);
  });
});

describe.runIf(testDatabaseServerUrl())("migrator on a shared PostgreSQL", () => {
  it("migrates once when several processes start together (advisory lock)", async () => {
    const scratch = await createScratchDatabase(testDatabaseServerUrl()!);
    try {
      const results = await Promise.all([1, 2, 3, 4].map(() => migrate(scratch.url, quiet)));
      const all = results.flat();
      expect(all.sort()).toEqual(
        readMigrations()
          .map((m) => m.name)
          .sort(),
      );
      const recorded = await rows(scratch.url, `SELECT migration_name FROM "_prisma_migrations"`);
      expect(recorded).toHaveLength(readMigrations().length);
    } finally {
      await scratch.drop();
    }
  });
});
