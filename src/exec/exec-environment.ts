// What executions need beyond (prisma, viewer): the key that opens stored connection URLs,
// the application's own database URL (demo warehouse) and the limits. Installed once per
// Database by buildApp (and by server.ts before the demo seed), looked up by the services.
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { loadSecretBox, type SecretBox } from "./secret-box.js";

export type ExecEnvironment = {
  appDatabaseUrl: string;
  appDatabaseKind: Database["kind"];
  secrets(): SecretBox;
  statementTimeoutMs: number;
  maxRows: number;
};

const environments = new WeakMap<PrismaClient, ExecEnvironment>();

export function installExecEnvironment(db: Database, config: Config): ExecEnvironment {
  const existing = environments.get(db.prisma);
  if (existing) return existing;
  let box: SecretBox | undefined;
  const environment: ExecEnvironment = {
    appDatabaseUrl: db.url,
    appDatabaseKind: db.kind,
    // Lazy: the key file in DATA_DIR is created only when a connection is first stored or read.
    secrets: () => {
      box ??= loadSecretBox({ key: config.exec.encryptionKey, dataDir: config.dataDir });
      return box;
    },
    statementTimeoutMs: config.exec.statementTimeoutMs,
    maxRows: config.exec.maxRows,
  };
  environments.set(db.prisma, environment);
  return environment;
}

export function execEnvironment(prisma: PrismaClient): ExecEnvironment {
  const environment = environments.get(prisma);
  if (!environment) throw new Error("installExecEnvironment() was not called for this database");
  return environment;
}
