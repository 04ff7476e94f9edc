// The embedded demo warehouse: its own PGlite instance, in its own worker thread, served over the
// PostgreSQL wire protocol on a private loopback port. Plain JavaScript so the thread starts
// under any loader. Nothing of the platform's database is in this instance, and a statement that
// runs away blocks this thread only: the parent terminates the worker and starts a fresh one
// from the snapshot. workerData: { seedSql?: string, snapshot?: Uint8Array }; the first message
// posted is { address, snapshot? } (the snapshot when this worker seeded the data itself).
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const { seedSql, snapshot } = workerData;

let db;
let seeded;
if (snapshot) {
  db = await PGlite.create({ loadDataDir: new Blob([snapshot]) });
} else {
  db = await PGlite.create("memory://");
  await db.exec(seedSql);
  const dump = await db.dumpDataDir("gzip");
  seeded = new Uint8Array(await dump.arrayBuffer());
}
const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 16 });
await server.start();
parentPort.postMessage({ address: server.getServerConn(), snapshot: seeded });
