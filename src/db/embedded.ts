// The embedded default: PostgreSQL compiled to WASM (PGlite), kept in DATA_DIR and served
// in-process over the PostgreSQL wire protocol on a private loopback port, so the rest of the
// application reaches it exactly like a real server (pg + Prisma's pg adapter).
//
// With a data directory, the same server is also offered to the machine's other processes of
// the same user on a unix socket, DATA_DIR/.s.PGSQL.5432 (mode 0600, PostgreSQL's own socket
// name, so `psql -h DATA_DIR -U postgres` works too): the admin CLI uses it while the server
// runs (src/cli/admin.ts). Whoever can open that socket can already read DATA_DIR's files.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export type EmbeddedPostgres = {
  url: string;
  /** The unix socket other local processes reach this database at (undefined: not offered). */
  socketPath: string | undefined;
  /**
   * Calls `listener` with every notification the database emits, whichever connection's
   * statement emitted it. PGlite is one session: a NOTIFY committed by another process's
   * connection (the admin CLI revoking a key) is delivered in that connection's output only,
   * so the server's change feed hears it here.
   */
  onNotification(listener: (channel: string, payload: string) => void): () => void;
  stop(): Promise<void>;
};

/** The file name PostgreSQL gives its socket for port 5432. */
const SOCKET_NAME = ".s.PGSQL.5432";
/** Longest unix socket path Linux accepts (sun_path is 108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH = 107;

class EmbeddedInUseError extends Error {
  readonly code = "EMBEDDED_IN_USE";
}

/** PGlite is one session: two processes on one data directory would corrupt it. */
function acquireDirectoryLock(dir: string): () => void {
  const holder = directoryHolder(dir);
  if (holder) {
    throw new EmbeddedInUseError(
      `The embedded database in ${dir} is in use by process ${holder}. Stop it first, or point DATABASE_URL at a PostgreSQL server to share one database between processes.`,
    );
  }
  writeFileSync(path.join(dir, "postmaster.lock.gateway"), String(process.pid));
  return () => rmSync(path.join(dir, "postmaster.lock.gateway"), { force: true });
}

/** The live process holding the embedded database in `dir`, if any. */
function directoryHolder(dir: string): number | undefined {
  try {
    const holder = Number(readFileSync(path.join(dir, "postmaster.lock.gateway"), "utf8"));
    return holder && isAlive(holder) ? holder : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Where the server holding `dataDir` (DATA_DIR/pglite) offers its database to other processes. */
export function embeddedSocketPath(dataDir: string): string {
  return path.join(path.dirname(path.resolve(dataDir)), SOCKET_NAME);
}

/**
 * The URL of the embedded database a running server offers on `dataDir`'s socket, or undefined
 * when no live process holds the directory (then the caller may open the directory itself).
 */
export function runningEmbeddedServer(dataDir: string): { url: string; pid: number } | undefined {
  const pid = directoryHolder(dataDir);
  const socket = embeddedSocketPath(dataDir);
  if (!pid || !existsSync(socket)) return undefined;
  const params = new URLSearchParams({ host: path.dirname(socket), sslmode: "disable" });
  return { url: `postgresql://postgres@localhost/postgres?${params}`, pid };
}

/** Starts PGlite on `dataDir` (or in memory when it is undefined) behind a loopback socket. */
export async function startEmbeddedPostgres(dataDir: string | undefined): Promise<EmbeddedPostgres> {
  let release = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    release = acquireDirectoryLock(dataDir);
  }
  let shared: net.Server | undefined;
  let socketPath: string | undefined;
  try {
    const db = await PGlite.create(dataDir ?? "memory://");
    const listeners = new Set<(channel: string, payload: string) => void>();
    watchNotifications(db, (channel, payload) => {
      for (const listener of listeners) listener(channel, payload);
    });
    // PGlite has a single session. pglite-socket queues the statements of its clients and,
    // while one of them is inside a transaction, serves only that one; still, the
    // application keeps one pooled connection (database.ts) and the migrator another; the
    // admin CLI, through the shared socket, the same two.
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 8 });
    await server.start();
    const [host, port] = server.getServerConn().split(":") as [string, string];
    if (dataDir) {
      socketPath = embeddedSocketPath(dataDir);
      if (Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH) {
        shared = await shareOnSocket(socketPath, host, Number(port));
      } else {
        socketPath = undefined;
      }
    }
    return {
      url: `postgresql://postgres@${host}:${port}/postgres?sslmode=disable`,
      socketPath,
      onNotification(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async stop() {
        if (shared) await new Promise<void>((resolve) => shared!.close(() => resolve()));
        if (socketPath) rmSync(socketPath, { force: true });
        await server.stop();
        await db.close();
        release();
      },
    };
  } catch (error) {
    shared?.close();
    if (socketPath) rmSync(socketPath, { force: true });
    release();
    throw error;
  }
}

/**
 * A unix socket whose connections are piped to the loopback server: one pglite-socket server,
 * so one queue keeps every client's transactions apart.
 */
async function shareOnSocket(socketPath: string, host: string, port: number): Promise<net.Server> {
  // A socket file left by a process that died: ours now, since we hold the directory lock.
  rmSync(socketPath, { force: true });
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Created with no permission for group and others, then fixed to 0600.
    const umask = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
  chmodSync(socketPath, 0o600);
  server.unref();
  return server;
}

/**
 * Reads NotificationResponse messages ('A') out of everything PGlite sends to its clients.
 * Each call's output starts at a message boundary; a message may span chunks.
 */
function watchNotifications(db: PGlite, onNotification: (channel: string, payload: string) => void): void {
  const original = db.execProtocolRawStream.bind(db);
  db.execProtocolRawStream = (message, options) => {
    let header = Buffer.alloc(0);
    let remaining = 0;
    let body: Buffer[] | undefined;
    const scan = (chunk: Uint8Array) => {
      let offset = 0;
      while (offset < chunk.length) {
        if (remaining === 0) {
          const need = 5 - header.length;
          header = Buffer.concat([header, chunk.subarray(offset, offset + need)]);
          offset += Math.min(need, chunk.length - offset);
          if (header.length < 5) return;
          remaining = header.readInt32BE(1) - 4;
          body = header[0] === 0x41 ? [] : undefined;
          header = Buffer.alloc(0);
          if (remaining === 0) continue;
        }
        const take = Math.min(remaining, chunk.length - offset);
        body?.push(Buffer.from(chunk.subarray(offset, offset + take)));
        offset += take;
        remaining -= take;
        if (remaining === 0 && body) {
          const data = Buffer.concat(body);
          const channelEnd = data.indexOf(0, 4);
          const payloadEnd = data.indexOf(0, channelEnd + 1);
          onNotification(
            data.toString("utf8", 4, channelEnd),
            data.toString("utf8", channelEnd + 1, payloadEnd),
          );
          body = undefined;
        }
      }
    };
    return original(message, {
      ...options,
      onRawData: (data) => {
        scan(data);
        options?.onRawData?.(data);
      },
    });
  };
}
