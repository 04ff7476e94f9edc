// The admin CLI while the embedded server runs (issue 13, item 6): the server offers its
// database on DATA_DIR's socket, the CLI goes through it, and what the CLI does is at once
// what the running server serves (a key it creates works; a key it revokes stops working, the
// server's authentication cache having heard the revocation).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalId } from "../../src/db/ids.js";

const root = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(tmpdir(), "gw-cli-server-"));
const bootstrapKey = randomBytes(24).toString("base64url");
const READY_LINE = /GraphQL \+ GraphiQL: (http:\/\/\S+)\/graphql/;
let server: ChildProcess | undefined;
let origin = "";

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "DATABASE_LISTEN_URL",
    "PORT",
    "BOOTSTRAP_API_KEY",
  ]) {
    delete env[name];
  }
  return { ...env, DATA_DIR: dataDir };
}

beforeAll(async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: root,
    env: { ...cleanEnv(), HOST: "127.0.0.1", PORT: "0", BOOTSTRAP_API_KEY: bootstrapKey, LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server = child;
  let output = "";
  origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line:\n${output}`)), 170_000);
    const onData = (chunk: string) => {
      output += chunk;
      const match = READY_LINE.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.setEncoding("utf8").on("data", onData);
    child.stderr!.setEncoding("utf8").on("data", onData);
    child.on("exit", (code) => reject(new Error(`server exited (${code}):\n${output}`)));
  });
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.on("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

function admin(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli/admin.ts", ...args], {
    cwd: root,
    env: cleanEnv(),
    encoding: "utf8",
    timeout: 90_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function users(key: string): Promise<number> {
  const response = await fetch(`${origin}/v1/users?page=1&page_size=5`, {
    headers: { authorization: `Bearer ${key}` },
  });
  await response.arrayBuffer();
  return response.status;
}

describe("admin CLI with the embedded server running", { timeout: 120_000 }, () => {
  let orgId = "";

  it("the server offers its database on DATA_DIR/.s.PGSQL.5432, to its own user only", () => {
    const socket = path.join(dataDir, ".s.PGSQL.5432");
    expect(existsSync(socket)).toBe(true);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o077).toBe(0);
  });

  it("org list works and prints each id as a uuid and as a global id", () => {
    const listed = admin("org", "list", "--json");
    expect(listed.code, listed.stderr).toBe(0);
    const orgs = JSON.parse(listed.stdout) as Array<{ id: string; idGlobalId: string; name: string }>;
    const demo = orgs.find((org) => org.name === "Demo Organization");
    expect(demo).toBeDefined();
    expect(demo!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(demo!.idGlobalId).toBe(globalId("Organization", demo!.id));
    orgId = demo!.id;

    const human = admin("org", "list");
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(demo!.id);
    expect(human.stdout).toContain(demo!.idGlobalId);
  });

  it("key create (organisation by global id) makes a key the running server accepts; key revoke (by global id) stops it at once", async () => {
    expect(orgId).not.toBe("");
    const created = admin(
      "key",
      "create",
      "--org",
      globalId("Organization", orgId),
      "--name",
      "from the CLI",
      "--scopes",
      "users:read",
      "--json",
    );
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; idGlobalId: string; apiKey: string };
    expect(key.apiKey).toMatch(/^gwk_/);
    expect(key.idGlobalId).toBe(globalId("ApiKey", key.id));
    expect(await users(key.apiKey)).toBe(200);
    // Served from the authentication cache from now on.
    expect(await users(key.apiKey)).toBe(200);

    const revoked = admin("key", "revoke", "--org", orgId, key.idGlobalId, "--json");
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout).revokedAt).toEqual(expect.any(String));
    expect(await users(key.apiKey)).toBe(401);
    // The server's own key is unaffected.
    expect(await users(bootstrapKey)).toBe(200);
  });

  it("an id that is neither a uuid nor a global id of an organisation is refused", () => {
    const wrong = admin("key", "list", "--org", globalId("User", orgId));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("neither a uuid nor a global id of an Organization");
  });
});
