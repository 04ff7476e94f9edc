// Opens the application's database: the PostgreSQL at DATABASE_URL, or the embedded PGlite in
// DATA_DIR; applies pending migrations; returns a Prisma client bound to it.
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { startEmbeddedPostgres } from "./embedded.js";
import { type MigrationLogger, migrate } from "./migrator.js";

export type Database = {
  prisma: PrismaClient;
  /** "postgresql" or "embedded": shown by /readyz and the start-up log. */
  kind: "postgresql" | "embedded";
  /** The URL the application reaches its database at (the embedded server's loopback URL). */
  url: string;
  ping(): Promise<void>;
  close(): Promise<void>;
};

export type OpenDatabaseOptions = {
  /** A PostgreSQL URL; when absent the embedded database is used. */
  url?: string | undefined;
  /** Where the embedded database keeps its files; undefined means in memory. */
  dataDir?: string | undefined;
  logger: MigrationLogger;
  poolSize?: number;
};

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const embedded = options.url
    ? undefined
    : await startEmbeddedPostgres(options.dataDir ? path.join(options.dataDir, "pglite") : undefined);
  const url = options.url ?? embedded!.url;
  try {
    await migrate(url, options.logger);
    // The embedded server has a single session: one pooled connection (see embedded.ts).
    const adapter = new PrismaPg({ connectionString: url, max: embedded ? 1 : (options.poolSize ?? 10) });
    const prisma = new PrismaClient({ adapter });
    await prisma.$connect();
    return {
      prisma,
      kind: embedded ? "embedded" : "postgresql",
      url,
      async ping() {
        await prisma.$queryRaw`SELECT 1`;
      },
      async close() {
        await prisma.$disconnect();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
