// The admin CLI, run as users run it, against its own embedded database directory.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildSchema } from "graphql";
import { afterAll, describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { ConnectionService } from "../../src/exec/connections.service.js";
import { installExecEnvironment } from "../../src/exec/exec-environment.js";
import { Viewer } from "../../src/identity/viewer.js";
import { ModuleService } from "../../src/records/modules.service.js";
import { createScratchDatabase, testDatabaseServerUrl } from "../helpers/database.js";
import { seedExampleModel } from "../semantic/fixtures.js";

const root = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(tmpdir(), "gw-cli-"));
let scratch: { url: string; drop(): Promise<void> } | undefined;
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await scratch?.drop();
});

async function env(): Promise<NodeJS.ProcessEnv> {
  const server = testDatabaseServerUrl();
  if (server && !scratch) scratch = await createScratchDatabase(server);
  const base = { ...process.env, DATABASE_URL: "", DATA_DIR: dataDir };
  return scratch ? { ...base, DATABASE_URL: scratch.url } : base;
}

async function admin(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli/admin.ts", ...args], {
    cwd: root,
    env: await env(),
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("npm run admin", { timeout: 120_000 }, () => {
  let orgId = "";
  let keyId = "";

  it("org create prints the organisation id and an owner key", async () => {
    const human = await admin("org", "create", "Initech", "Labs");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/organizationId\s+[0-9a-f-]{36}/);
    expect(human.stdout).toMatch(/apiKey\s+gwk_/);
    expect(human.stdout).toContain("shown this once");

    const json = await admin("org", "create", "Hooli", "--json", "--owner-email", "gavin@hooli.example");
    expect(json.code).toBe(0);
    const created = JSON.parse(json.stdout);
    expect(created).toMatchObject({
      name: "Hooli",
      ownerEmail: "gavin@hooli.example",
      apiKey: expect.stringMatching(/^gwk_/),
    });
    orgId = created.organizationId;
  });

  it("user create adds a user; a duplicate e-mail is refused", async () => {
    const ok = await admin(
      "user",
      "create",
      "--org",
      orgId,
      "--email",
      "Dinesh@Hooli.example",
      "--name",
      "Dinesh",
      "--role",
      "admin",
      "--json",
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ email: "dinesh@hooli.example", role: "admin" });
    const dup = await admin(
      "user",
      "create",
      "--org",
      orgId,
      "--email",
      "dinesh@hooli.example",
      "--name",
      "Again",
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("conflict");
  });

  it("key create / list / revoke", async () => {
    const created = await admin(
      "key",
      "create",
      "--org",
      orgId,
      "--name",
      "ci",
      "--scopes",
      "users:read,records:read",
      "--expires",
      "2099-01-01",
      "--rate-limit",
      "120",
      "--json",
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({
      name: "ci",
      scopes: ["users:read", "records:read"],
      rateLimitPerMinute: 120,
      apiKey: expect.stringMatching(/^gwk_/),
    });
    keyId = key.id;

    const listed = await admin("key", "list", "--org", orgId, "--json");
    const keys = JSON.parse(listed.stdout);
    expect(keys.map((k: { name: string }) => k.name)).toEqual(["Owner key", "ci"]);
    expect(listed.stdout).not.toContain(key.apiKey);
    expect(listed.stdout).not.toContain("secretHash");

    const revoked = await admin("key", "revoke", "--org", orgId, keyId, "--json");
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout).revokedAt).toEqual(expect.any(String));
  });

  it("token create / list / revoke: a refresh token for the public API", async () => {
    const created = await admin(
      "token",
      "create",
      "--org",
      orgId,
      "--user",
      "dinesh@hooli.example",
      "--name",
      "Shop App Token",
      "--expires-in-days",
      "45",
      "--json",
    );
    expect(created.code, created.stderr).toBe(0);
    const token = JSON.parse(created.stdout);
    expect(token).toMatchObject({
      name: "Shop App Token",
      prefix: token.refreshToken.slice(0, 10),
      refreshToken: expect.stringMatching(/^gwr_[A-Za-z0-9_-]{43}$/),
      revokedAt: null,
    });
    const days = (Date.parse(token.expiresAt) - Date.parse(token.createdAt)) / 86_400_000;
    expect(days).toBe(45);

    const human = await admin("token", "create", "--org", orgId, "--user", token.userId, "--name", "second");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/refreshToken\s+gwr_/);
    expect(human.stdout).toContain("shown this once");

    const listed = await admin("token", "list", "--org", orgId, "--json");
    expect(JSON.parse(listed.stdout).map((t: { name: string }) => t.name)).toEqual([
      "Shop App Token",
      "second",
    ]);
    expect(listed.stdout).not.toContain(token.refreshToken);
    expect(listed.stdout).not.toContain("secretHash");

    const revoked = await admin("token", "revoke", "--org", orgId, token.id, "--json");
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout).revokedAt).toEqual(expect.any(String));

    const noUser = await admin("token", "create", "--org", orgId, "--name", "x");
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain("--user is required");
    const unknown = await admin(
      "token",
      "create",
      "--org",
      orgId,
      "--user",
      "nobody@hooli.example",
      "--name",
      "x",
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("User nobody@hooli.example not found");
    const badDays = await admin(
      "token",
      "create",
      "--org",
      orgId,
      "--user",
      token.userId,
      "--name",
      "x",
      "--expires-in-days",
      "0",
    );
    expect(badDays.code).toBe(1);
    expect(badDays.stderr).toMatch(/validation_error[\s\S]*expiresInDays/);
  });

  it("explains bad input and exits non-zero", async () => {
    const noCommand = await admin();
    expect(noCommand.code).toBe(2);
    expect(noCommand.stdout).toContain("Usage:");
    const badScope = await admin("key", "create", "--org", orgId, "--name", "x", "--scopes", "root");
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toMatch(/validation_error[\s\S]*scopes/);
    const badOrg = await admin("key", "list", "--org", "nope");
    expect(badOrg.code).toBe(2);
    expect(badOrg.stderr).toContain("Organisation nope is neither a uuid nor a global id of an Organization");
    const missingOrg = await admin("key", "list", "--org", "00000000-0000-4000-8000-000000000000");
    expect(missingOrg.code).toBe(2);
    expect(missingOrg.stderr).toContain("Organisation 00000000-0000-4000-8000-000000000000 not found");
    const unknown = await admin("frobnicate", "now");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown command");
  });

  it("schema print prints the organisation's whole GraphQL schema, its module types included", async () => {
    const environment = await env();
    const db = await openDatabase({
      url: environment.DATABASE_URL || undefined,
      dataDir,
      logger: { info() {}, warn() {} },
    });
    try {
      const owner = await db.prisma.user.findFirstOrThrow({
        where: { organizationId: orgId, role: "owner" },
      });
      const viewer = Viewer.system({ id: orgId, name: "Hooli" }, owner);
      await new ModuleService(db.prisma, viewer).create({
        slug: "tickets",
        name: "Tickets",
        fields: [{ slug: "priority", label: "Priority", type: "select", options: ["Low", "High"] }],
      });
    } finally {
      await db.close();
    }
    const printed = await admin("schema", "print", "--org", orgId);
    expect(printed.code).toBe(0);
    const schema = buildSchema(printed.stdout);
    expect(schema.getType("Ticket")).toBeDefined();
    expect(schema.getType("TicketPriorityOption")?.toString()).toBe("TicketPriorityOption");
    expect(schema.getQueryType()?.getFields().tickets).toBeDefined();
    const missing = await admin("schema", "print");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--org is required");
  });

  it("semantic import sets a connection's model from YAML or JSON; bad files are refused", async () => {
    // A connection, created the way the server would (the CLI has no connection command).
    const environment = await env();
    const db = await openDatabase({
      url: environment.DATABASE_URL || undefined,
      dataDir,
      logger: { info() {}, warn() {} },
    });
    try {
      installExecEnvironment(
        db,
        loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent", EXEC_ALLOWED_HOSTS: "127.0.0.1" }),
      );
      const owner = await db.prisma.user.findFirstOrThrow({
        where: { organizationId: orgId, role: "owner" },
      });
      const viewer = Viewer.system({ id: orgId, name: "Hooli" }, owner);
      await new ConnectionService(db.prisma, viewer).create({
        name: "Warehouse",
        url: "postgresql://reader@127.0.0.1:5432/warehouse",
      });
    } finally {
      await db.close();
    }
    const yamlFile = path.join(dataDir, "model.yaml");
    writeFileSync(yamlFile, toYaml(seedExampleModel("postgres")));
    const imported = await admin(
      "semantic",
      "import",
      "--org",
      orgId,
      "--connection",
      "Warehouse",
      "--file",
      yamlFile,
      "--json",
    );
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ connection: "Warehouse", version: "1.0" });

    const broken = path.join(dataDir, "broken.json");
    writeFileSync(broken, "{ not json");
    const bad = await admin(
      "semantic",
      "import",
      "--org",
      orgId,
      "--connection",
      "Warehouse",
      "--file",
      broken,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("is not valid JSON");

    const invalid = path.join(dataDir, "invalid.json");
    const model = seedExampleModel("postgres");
    (
      model.layers[0]!.domains[0]!.entities[0]! as { relationships?: Array<{ to_entity: string }> }
    ).relationships?.forEach((r) => {
      r.to_entity = "nowhere";
    });
    writeFileSync(invalid, JSON.stringify(model));
    const rejected = await admin(
      "semantic",
      "import",
      "--org",
      orgId,
      "--connection",
      "Warehouse",
      "--file",
      invalid,
    );
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/validation_error[\s\S]*nowhere/);

    const missing = await admin(
      "semantic",
      "import",
      "--org",
      orgId,
      "--connection",
      "Nope",
      "--file",
      yamlFile,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Connection not found: Nope");
  });
});
