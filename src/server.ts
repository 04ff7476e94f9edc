// Starts the server: configuration, database (migrated), demo data, HTTP; stops gracefully on
// SIGTERM/SIGINT (in-flight requests finish, then the database closes). Standard output carries
// JSON log lines only (each phase of the start-up, then requests); the banners for a person
// (the demo key, the URLs) go to standard error. A start-up failure with a known cause (bad
// configuration, a database that cannot be reached, a port in use) prints one line naming it and
// exits with code 2.
// Tracing first: it must be in place before fastify, http and pg load (src/observability/tracing.ts).
import "./observability/tracing.js";
import net from "node:net";
import closeWithGrace from "close-with-grace";
import pino from "pino";
import { buildApp } from "./app.js";
import { type Config, ConfigError, loadConfig, redactUrl } from "./config.js";
import { type Database, openDatabase } from "./db/database.js";
import { seedDemo } from "./demo/demo.seed.js";
import { installExecEnvironment } from "./exec/exec-environment.js";

/** A start-up failure whose cause is known: reported in one line, exit code 2. */
class StartupError extends Error {}

/** Errors of reaching a server: the network, or PostgreSQL refusing the session. */
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection reset",
  ENOENT: "no such socket",
  "28P01": "password authentication failed",
  "28000": "authentication refused",
  "3D000": "the database does not exist",
  "53300": "too many connections",
  "57P03": "the server is not accepting connections yet",
};

const LISTEN_CODES: Record<string, string> = {
  EADDRINUSE: "is already in use: stop the process using it or set PORT",
  EACCES: "needs privileges this process lacks: use a port above 1023",
  EADDRNOTAVAIL: "is not an address of this machine: check HOST",
};

function errorCode(error: unknown): string | undefined {
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === "string") return code;
  // Node reports a host with several addresses as an AggregateError of each attempt.
  if (Array.isArray(errors)) return errors.map(errorCode).find(Boolean);
  return undefined;
}

function databaseFailure(error: unknown, config: Config): StartupError | undefined {
  const code = errorCode(error);
  if (code === "EMBEDDED_IN_USE") return new StartupError((error as Error).message);
  const where = config.databaseUrl
    ? redactUrl(config.databaseUrl)
    : `the embedded database in ${config.dataDir}`;
  const cause =
    (code && NETWORK_CODES[code]) ??
    (/timeout/i.test((error as Error).message ?? "") ? "timed out" : undefined);
  if (!cause) return undefined;
  return new StartupError(`Cannot reach the database at ${where}: ${cause} (${code ?? "timeout"})`);
}

/** Fails with the listen error's StartupError when the configured port cannot be bound now. */
async function checkPortFree(config: Config): Promise<void> {
  if (config.port === 0) return;
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen({ port: config.port, host: config.host, exclusive: true }, resolve);
    });
  } catch (error) {
    const problem = LISTEN_CODES[errorCode(error) ?? ""];
    if (problem) throw new StartupError(listenProblem(config, error, problem));
    // Anything else (a host name to resolve, say) is left to the real listen.
  } finally {
    await new Promise((resolve) => probe.close(resolve));
  }
}

function listenProblem(config: Config, error: unknown, problem: string): string {
  return `Port ${config.port} on ${config.host} ${problem} (${errorCode(error)})`;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new StartupError(error.message);
    throw error;
  }
  const logger = pino({ level: config.logLevel });
  logger.info({ node: process.version, pid: process.pid }, "starting");
  // Before the database: a port in use is known in a millisecond, migrations take seconds.
  await checkPortFree(config);
  let db: Database;
  try {
    db = await openDatabase({
      url: config.databaseUrl,
      listenUrl: config.databaseListenUrl,
      dataDir: config.dataDir,
      logger: {
        info: (msg, fields) => logger.info(fields ?? {}, msg),
        warn: (msg, fields) => logger.warn(fields ?? {}, msg),
      },
    });
  } catch (error) {
    throw databaseFailure(error, config) ?? error;
  }
  logger.info(
    { database: db.kind, dataDir: db.kind === "embedded" ? config.dataDir : undefined },
    "database ready",
  );

  const exec = installExecEnvironment(db, config);
  if (config.demoData) {
    const seed = await seedDemo(db.prisma, config.bootstrapApiKey, {
      info: (fields, msg) => logger.info(fields, msg),
    });
    if (seed.created) {
      logger.info({ organizationId: seed.organizationId }, "created the demo organisation");
      if (!seed.keyFromEnvironment) {
        // Shown once, like every key: the database keeps only its hash.
        process.stderr.write(
          `\n  Demo organisation created. Its owner API key (shown once, keep it):\n\n    ${seed.ownerKey}\n\n`,
        );
      }
    } else if (seed.bootstrapKeyAdded) {
      logger.info("BOOTSTRAP_API_KEY added as an owner key of the demo organisation");
    } else {
      logger.info({ organizationId: seed.organizationId }, "demo seed skipped: the database has data");
    }
  }

  const app = await buildApp({ config, db, logger: { level: config.logLevel } });
  let shuttingDown = false;
  const closeListeners = closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    shuttingDown = true;
    if (err) app.log.error({ err }, "fatal error, shutting down");
    else app.log.info({ signal }, "shutting down");
    await app.close();
    await db.close();
  });
  app.addHook("onClose", async () => closeListeners.uninstall());

  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const problem = LISTEN_CODES[errorCode(error) ?? ""];
    if (!problem) throw error;
    shuttingDown = true;
    await app.close();
    await db.close();
    throw new StartupError(listenProblem(config, error, problem));
  }
  if (config.demoData) {
    // Started now rather than on the first execution: the embedded warehouse takes seconds to seed.
    exec.warehouse.session().then(
      () => logger.info({ warehouse: exec.warehouse.kind }, "demo warehouse ready"),
      (err) => {
        // A shutdown during the seed stops the worker: nothing to report.
        if (!shuttingDown)
          logger.warn({ err }, "the demo warehouse could not be prepared; its connection answers 502");
      },
    );
  }
  logger.info({ address, startupMs: Math.round(performance.now() - startedAt) }, "server ready");
  process.stderr.write(
    `\n  GraphQL + GraphiQL: ${address}/graphql\n  REST docs:          ${address}/docs\n\n`,
  );
}

main().catch((error) => {
  if (error instanceof StartupError) {
    console.error(`Cannot start: ${error.message}`);
    process.exit(2);
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
