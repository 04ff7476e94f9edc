#!/usr/bin/env node
// Authors the next migration: `npm run db:migration -- <name>`.
// Diffs the datamodel of the last authored migration (prisma/migrations/datamodel.prisma, a
// copy kept for exactly this) against prisma/schema.prisma with `prisma migrate diff`, writes
// prisma/migrations/<timestamp>_<name>/migration.sql and updates the copy. No database needed.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const name = process.argv[2];
if (!name || !/^[a-z0-9_]{1,60}$/.test(name)) {
  console.error("usage: npm run db:migration -- <name>   (lowercase letters, digits and _)");
  process.exit(2);
}
const snapshot = `${root}prisma/migrations/datamodel.prisma`;
const from = existsSync(snapshot) ? ["--from-schema-datamodel", snapshot] : ["--from-empty"];
const result = spawnSync(
  process.execPath,
  [
    `${root}scripts/prisma.mjs`,
    "migrate",
    "diff",
    ...from,
    "--to-schema-datamodel",
    `${root}prisma/schema.prisma`,
    "--script",
  ],
  { encoding: "utf8", cwd: root },
);
if (result.status !== 0) {
  process.stderr.write(result.stderr);
  process.exit(result.status ?? 1);
}
const sql = result.stdout.replace(/^Loaded Prisma config.*\n+/m, "");
if (/^-- This is an empty migration\./m.test(sql) || sql.trim() === "") {
  console.log("prisma/schema.prisma matches the last migration: nothing to write.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = `${root}prisma/migrations/${stamp}_${name}`;
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}/migration.sql`, sql);
copyFileSync(`${root}prisma/schema.prisma`, snapshot);
console.log(`Wrote ${dir}/migration.sql`);
