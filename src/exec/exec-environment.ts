// What executions need beyond (prisma, viewer): the key that opens stored connection URLs, the
// policy on where connections may point, the demo warehouse and the limits. Installed once per
// Database by buildApp (and by server.ts before the demo seed), looked up by the services.
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { TargetPolicy } from "./connection-targets.js";
import { createDemoWarehouse, type DemoWarehouse } from "./demo-warehouse.js";
import { loadSecretBox, type SecretBox } from "./secret-box.js";

export type ExecEnvironment = {
  secrets(): SecretBox;
  targets: TargetPolicy;
  warehouse: DemoWarehouse;
  statementTimeoutMs: number;
  maxRows: number;
  close(): Promise<void>;
};

const environments = new WeakMap<PrismaClient, ExecEnvironment>();

export function installExecEnvironment(db: Database, config: Config): ExecEnvironment {
  const existing = environments.get(db.prisma);
  if (existing) return existing;
  let box: SecretBox | undefined;
  // Lazy: the key file in DATA_DIR is created only when a connection is first stored or read.
  const secrets = () => {
    box ??= loadSecretBox({ key: config.exec.encryptionKey, dataDir: config.dataDir });
    return box;
  };
  // Lazy too: the warehouse starts (a worker, or a database on the server) on first use.
  const warehouse = createDemoWarehouse({
    platformDatabaseUrl: db.url,
    platformKind: db.kind,
    derivePassword: (label) => secrets().derive(label),
  });
  const environment: ExecEnvironment = {
    secrets,
    targets: new TargetPolicy({ allowedHosts: config.exec.allowedHosts, platformDatabaseUrl: db.url }),
    warehouse,
    statementTimeoutMs: config.exec.statementTimeoutMs,
    maxRows: config.exec.maxRows,
    close: () => warehouse.close(),
  };
  environments.set(db.prisma, environment);
  return environment;
}

export function execEnvironment(prisma: PrismaClient): ExecEnvironment {
  const environment = environments.get(prisma);
  if (!environment) throw new Error("installExecEnvironment() was not called for this database");
  return environment;
}
