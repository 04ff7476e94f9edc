// The embedded default: PostgreSQL compiled to WASM (PGlite), kept in DATA_DIR and served
// in-process over the PostgreSQL wire protocol on a private loopback port, so the rest of the
// application reaches it exactly like a real server (pg + Prisma's pg adapter).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export type EmbeddedPostgres = { url: string; stop(): Promise<void> };

/** PGlite is one session: two processes on one data directory would corrupt it. */
function acquireDirectoryLock(dir: string): () => void {
  const lockFile = path.join(dir, "postmaster.lock.gateway");
  try {
    const holder = Number(readFileSync(lockFile, "utf8"));
    if (holder && isAlive(holder)) {
      throw new Error(
        `The embedded database in ${dir} is in use by process ${holder}. Stop it first, or point DATABASE_URL at a PostgreSQL server to share one database between processes.`,
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Starts PGlite on `dataDir` (or in memory when it is undefined) behind a loopback socket. */
export async function startEmbeddedPostgres(dataDir: string | undefined): Promise<EmbeddedPostgres> {
  let release = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    release = acquireDirectoryLock(dataDir);
  }
  try {
    const db = await PGlite.create(dataDir ?? "memory://");
    // PGlite has a single session. pglite-socket queues the statements of its clients and,
    // while one of them is inside a transaction, serves only that one; still, the
    // application keeps one pooled connection (database.ts) and the migrator another.
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 });
    await server.start();
    return {
      url: `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
      async stop() {
        await server.stop();
        await db.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
