// Lints both OpenAPI documents the server publishes with Redocly (redocly.yaml): /openapi.json
// (every REST surface) and /api-swagger/json (the public API's document behind /api-swagger).
// The app is built in-process on an in-memory embedded database and never listens; the
// documents are written to .tmp/openapi/ and `redocly lint` runs on both. Exits non-zero when
// Redocly finds an error; redocly.yaml says which rule is off and why (no warning remains).
//
//   npm run lint:openapi            dump and lint
//   npm run lint:openapi -- --dump  dump only (prints the two paths)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, ".tmp", "openapi");
export const DOCUMENTS = [
  { url: "/openapi.json", file: "openapi.json" },
  { url: "/api-swagger/json", file: "public-api.json" },
] as const;

async function dump(): Promise<string[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "gw-openapi-"));
  const config = loadConfig({
    DEMO_DATA: "false",
    LOG_LEVEL: "silent",
    DATA_DIR: dataDir,
    // Never used for a connection here; a fixed key keeps the run from writing one.
    CONNECTIONS_ENCRYPTION_KEY: "0".repeat(64),
  });
  const db = await openDatabase({ url: undefined, dataDir: undefined, logger: { info() {}, warn() {} } });
  try {
    const app = await buildApp({ config, db, logger: false });
    try {
      await app.ready();
      mkdirSync(out, { recursive: true });
      const files: string[] = [];
      for (const { url, file } of DOCUMENTS) {
        const response = await app.inject({ method: "GET", url });
        if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}`);
        const target = path.join(out, file);
        writeFileSync(target, `${JSON.stringify(response.json(), null, 2)}\n`);
        files.push(target);
      }
      return files;
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const files = await dump();
if (process.argv.includes("--dump")) {
  console.log(files.join("\n"));
  process.exit(0);
}
const lint = spawnSync(
  process.execPath,
  [
    path.join(root, "node_modules", "@redocly", "cli", "bin", "cli.js"),
    "lint",
    "--config",
    path.join(root, "redocly.yaml"),
    ...files,
  ],
  {
    stdio: "inherit",
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  },
);
process.exit(lint.status ?? 1);
