// `npm run db:migration -- <name>` authors migrations from prisma/schema.prisma; the datamodel of
// the last authored migration is kept beside them. A schema change without a migration fails here.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

describe("migration authoring", () => {
  it("every change to prisma/schema.prisma has a migration", () => {
    const schema = readFileSync(path.join(root, "prisma/schema.prisma"), "utf8");
    const lastMigrated = readFileSync(path.join(root, "prisma/migrations/datamodel.prisma"), "utf8");
    expect(schema, "run `npm run db:migration -- <name>`").toBe(lastMigrated);
  });

  it(
    "db:migration writes nothing when the schema matches, and rejects a bad name",
    {
      timeout: 120_000,
    },
    () => {
      const before = readdirSync(path.join(root, "prisma/migrations"));
      const run = (name: string) =>
        spawnSync(process.execPath, ["scripts/db-migration.mjs", name], {
          cwd: root,
          encoding: "utf8",
          env: { ...process.env, DATABASE_URL: "" },
          timeout: 110_000,
        });
      const bad = run("Bad Name!");
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain("usage: npm run db:migration -- <name>");
      const same = run("noop");
      expect(same.stderr).toBe("");
      expect(same.status).toBe(0);
      expect(same.stdout).toContain("nothing to write");
      expect(readdirSync(path.join(root, "prisma/migrations"))).toEqual(before);
    },
  );
});
