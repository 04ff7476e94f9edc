// Starts the server: configuration, database (migrated), demo data, HTTP; stops gracefully on
// SIGTERM/SIGINT (in-flight requests finish, then the database closes).
// Tracing first: it must be in place before fastify, http and pg load (src/observability/tracing.ts).
import "./observability/tracing.js";
import closeWithGrace from "close-with-grace";
import pino from "pino";
import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { openDatabase } from "./db/database.js";
import { seedDemo } from "./demo/demo.seed.js";
import { installExecEnvironment } from "./exec/exec-environment.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel });
  const db = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    logger: { info: (msg) => logger.info(msg), warn: (msg) => logger.warn(msg) },
  });
  logger.info(
    { database: db.kind, dataDir: db.kind === "embedded" ? config.dataDir : undefined },
    "database ready",
  );

  const exec = installExecEnvironment(db, config);
  if (config.demoData) {
    const seed = await seedDemo(db.prisma, config.bootstrapApiKey);
    if (seed.created) {
      logger.info({ organizationId: seed.organizationId }, "created the demo organisation");
      if (!seed.keyFromEnvironment) {
        // Shown once, like every key: the database keeps only its hash.
        process.stdout.write(
          `\n  Demo organisation created. Its owner API key (shown once, keep it):\n\n    ${seed.ownerKey}\n\n`,
        );
      }
    } else if (seed.bootstrapKeyAdded) {
      logger.info("BOOTSTRAP_API_KEY added as an owner key of the demo organisation");
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

  const address = await app.listen({ port: config.port, host: config.host });
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
  process.stdout.write(
    `\n  GraphQL + GraphiQL: ${address}/graphql\n  REST docs:          ${address}/docs\n\n`,
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
