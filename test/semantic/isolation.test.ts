// Tenant SQL on the demo warehouse never reaches the platform (issue 11): one test per escape
// route. The warehouse is its own PGlite instance (embedded) or its own database reached by a
// non-superuser login (PostgreSQL); on both, nothing of the platform's data comes back and the
// platform's lock space is untouched. On PostgreSQL, where the login is a real role, the role
// switches, file reads and shared-catalog reads are refused outright.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execEnvironment } from "../../src/exec/exec-environment.js";
import { hashApiKeySecret } from "../../src/identity/api-key-secret.js";
import { DEMO_CONNECTION_NAME } from "../../src/semantic/semantic.seed.js";
import { bearer, createKey, createOrg, type TestApp, type TestOrg } from "../helpers/app.js";
import { closeWarehouse, openWarehouse } from "./fixtures.js";

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

let t: TestApp;
let demo: TestOrg;
let victim: TestOrg;
let runner: string;
/** Strings of the other organisation that must never appear in an execution's answer. */
let secrets: string[];

beforeAll(async () => {
  ({ t, org: demo } = await openWarehouse("f", { EXEC_STATEMENT_TIMEOUT_MS: "5000" }));
  runner = await createKey(t.prisma, demo, { scopes: ["sql:execute"] });
  victim = await createOrg(t.prisma, `Victim ${randomBytes(6).toString("hex")}`);
  const victimKey = await createKey(t.prisma, victim, { scopes: ["records:read"] });
  secrets = [victim.id, victim.name, hashApiKeySecret(victimKey), hashApiKeySecret(victim.key)];
}, 120_000);

afterAll(() => closeWarehouse(t));

const execSql = (sql: string) =>
  t.app.inject({
    method: "POST",
    url: "/api/v1/exec/sql",
    headers: { ...bearer(runner), "content-type": "application/json" },
    payload: JSON.stringify({ sql, connection: { name: DEMO_CONNECTION_NAME } }),
  });

/** Runs a hostile statement: whatever its status, nothing of the platform is in the answer. */
async function attempt(sql: string): Promise<{ status: number; body: string }> {
  const response = await execSql(sql);
  expect(response.statusCode, response.body).toBeLessThan(500);
  for (const secret of secrets) expect(response.body).not.toContain(secret);
  return { status: response.statusCode, body: response.body };
}

describe("escape routes from the demo warehouse", () => {
  it("dynamic SQL finds no platform table to read", async () => {
    for (const sql of [
      "SELECT * FROM ts_stat('select to_tsvector(name) from public.organizations')",
      "SELECT * FROM ts_stat('select to_tsvector(secret_hash) from ' || 'api_keys')",
      "SELECT query_to_xml('select secret_hash from public.refresh_tokens', true, false, '')",
      "SELECT count(*) FROM pg_class WHERE relname IN ('organizations', 'api_keys', 'refresh_tokens', '_prisma_migrations')",
    ]) {
      const { status, body } = await attempt(sql);
      if (status === 200) expect(JSON.parse(body).result.data).toEqual([["0"]]);
      else expect(JSON.parse(body).detail).toMatch(/does not exist|permission denied/);
    }
  });

  it("set_config('role') and SET ROLE, built at run time, reach nothing of the platform", async () => {
    const switched = await attempt(
      "SELECT * FROM ts_stat('select to_tsvector(set_con' || 'fig(''role'',''postgres'',true))')",
    );
    const thenRead = await attempt(
      "SELECT set_config('role', 'postgres', true), query_to_xml('select * from public.api_keys', true, false, '')",
    );
    expect(thenRead.status).toBe(400);
    if (onPostgres) {
      // A real login role: it is a member of nothing, so no switch is possible at all.
      expect(switched.status).toBe(400);
      expect(JSON.parse(switched.body).detail).toMatch(/permission denied to set role/);
      expect(JSON.parse(thenRead.body).detail).toMatch(/permission denied to set role/);
      const superuser = await attempt("SELECT current_setting('is_superuser') AS su");
      expect(JSON.parse(superuser.body).result.data).toEqual([["off"]]);
    } else {
      expect(JSON.parse(thenRead.body).detail).toMatch(/does not exist/);
    }
  });

  it("dblink, COPY, large objects and server files are unavailable", async () => {
    for (const sql of [
      "SELECT * FROM dblink('dbname=postgres', 'select secret_hash from api_keys') AS t(h text)",
      "SELECT query_to_xml('copy (select 1) to ''/tmp/gateway-escape''', true, false, '')",
      "SELECT lo_import('/etc/passwd')",
      "SELECT lo_get(1)",
      "SELECT pg_read_file('postgresql.conf')",
      "SELECT pg_ls_dir('.')",
      "SELECT pg_read_binary_file('global/pg_control')",
    ]) {
      const { status, body } = await attempt(sql);
      // Embedded, the warehouse's own superuser may read its own WASM file system; nothing there
      // belongs to the platform (checked by attempt()). On PostgreSQL every one is refused.
      if (onPostgres) expect(status, `${sql}: ${body}`).toBe(400);
    }
  });

  it("shared catalogs do not list the platform's database or roles", async () => {
    const platformDatabase = new URL(t.db.url).pathname.slice(1);
    for (const sql of [
      "SELECT datname FROM pg_database",
      "SELECT rolname FROM pg_roles",
      "SELECT usename FROM pg_user",
    ]) {
      const { status, body } = await attempt(sql);
      if (onPostgres) {
        expect(status, `${sql}: ${body}`).toBe(400);
        expect(JSON.parse(body).detail).toMatch(/permission denied/);
      } else {
        // Its own instance: only PGlite's built-in database and roles.
        const names = (JSON.parse(body).result.data as string[][]).map(([name]) => name);
        expect(names.every((name) => /^(postgres|template[01]|pg_\w+)$/.test(name!))).toBe(true);
      }
      expect(body).not.toContain(`"${platformDatabase}_`);
    }
  });

  it("an advisory lock taken by tenant SQL is not one of the platform's", async () => {
    const running = attempt(
      `SELECT pg_advisory_xact_lock(hashtext('records:${victim.id}')), pg_sleep(1.5) IS NULL AS slept`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    // While the tenant statement holds its lock, the platform's lock of that name is free.
    const free = await t.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<Array<{ free: boolean }>>(
        "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS free",
        `records:${victim.id}`,
      );
      return rows[0]!.free;
    });
    expect(free).toBe(true);
    expect((await running).status).toBe(200);
  });

  it("nothing of the platform changed", async () => {
    expect(await t.prisma.apiKey.count({ where: { organizationId: victim.id } })).toBe(2);
    expect((await t.prisma.organization.findUniqueOrThrow({ where: { id: victim.id } })).name).toBe(
      victim.name,
    );
  });
});

describe.runIf(onPostgres)("the warehouse's login role (PostgreSQL)", () => {
  const asReader = async (database: string | undefined, sql: string) => {
    const { config } = await execEnvironment(t.prisma).warehouse.session();
    const client = new pg.Client({ ...config, ...(database ? { database } : {}) });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  it("is no superuser, is a member of nothing, owns nothing and cannot SET ROLE", async () => {
    const { config } = await execEnvironment(t.prisma).warehouse.session();
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      const role = (
        await admin.query(
          `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolinherit,
                  (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS memberships,
                  (SELECT count(*)::int FROM pg_database WHERE datdba = r.oid) AS databases
             FROM pg_roles r WHERE rolname = $1`,
          [config.user],
        )
      ).rows[0];
      expect(role).toEqual({
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        rolinherit: false,
        memberships: 0,
        databases: 0,
      });
    } finally {
      await admin.end();
    }
    expect(
      await asReader(
        undefined,
        "SELECT count(*)::int AS n FROM pg_class WHERE relowner = current_user::regrole",
      ),
    ).toEqual([{ n: 0 }]);
    await expect(asReader(undefined, "SET ROLE postgres")).rejects.toThrow(/permission denied to set role/);
    await expect(asReader(undefined, "SET SESSION AUTHORIZATION postgres")).rejects.toThrow(
      /permission denied/,
    );
  });

  it("cannot connect to the platform's database", async () => {
    const platformDatabase = new URL(t.db.url).pathname.slice(1);
    await expect(asReader(platformDatabase, "SELECT 1")).rejects.toThrow(/permission denied for database/);
  });

  it("the database override cannot move the demo connection elsewhere", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/api/v1/exec/sql",
      headers: { ...bearer(runner), "content-type": "application/json" },
      payload: JSON.stringify({
        sql: "SELECT 1",
        connection: { name: DEMO_CONNECTION_NAME, overrides: { database: "postgres" } },
      }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toBe("This connection does not allow a database override");
  });
});
