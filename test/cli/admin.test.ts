// The admin CLI, run as users run it, against its own embedded database directory.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createScratchDatabase, testDatabaseServerUrl } from "../helpers/database.js";

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

  it("explains bad input and exits non-zero", async () => {
    const noCommand = await admin();
    expect(noCommand.code).toBe(2);
    expect(noCommand.stdout).toContain("Usage:");
    const badScope = await admin("key", "create", "--org", orgId, "--name", "x", "--scopes", "root");
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toMatch(/validation_error[\s\S]*scopes/);
    const badOrg = await admin("key", "list", "--org", "nope");
    expect(badOrg.code).toBe(2);
    expect(badOrg.stderr).toContain("Organisation nope not found");
    const unknown = await admin("frobnicate", "now");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown command");
  });
});
