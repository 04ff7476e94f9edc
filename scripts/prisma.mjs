#!/usr/bin/env node
// Runs the Prisma CLI the way this project's machines allow: no update check, and no
// download of a native query engine (the generated client is engine-less, "client" type, so
// the library path only has to exist). The CLI's WASM schema engine opens a connection even
// for `migrate diff` between two datamodels; without DATABASE_URL this wrapper lends it a
// throwaway in-memory PGlite for the duration of the command.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
const bin = fileURLToPath(new URL("../node_modules/.bin", import.meta.url));
const args = process.argv.slice(2);

let stop = async () => {};
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl && args[0] === "migrate") {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 });
  await server.start();
  databaseUrl = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  stop = async () => {
    await server.stop();
    await db.close();
  };
}

const env = {
  ...process.env,
  PATH: `${bin}:${process.env.PATH ?? ""}`,
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? fileURLToPath(import.meta.url),
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
};
const child = spawn(process.execPath, [cli, ...args], { stdio: "inherit", env });
child.on("exit", async (code) => {
  await stop();
  process.exit(code ?? 1);
});
