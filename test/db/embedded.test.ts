import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.js";

const quiet = { info() {}, warn() {} };
const dir = mkdtempSync(path.join(tmpdir(), "gw-embedded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("embedded database in DATA_DIR", { timeout: 120_000 }, () => {
  it("keeps data across a restart", async () => {
    const first = await openDatabase({ dataDir: dir, logger: quiet });
    expect(first.kind).toBe("embedded");
    const org = await first.prisma.organization.create({ data: { name: "Persistent" } });
    await first.close();

    const second = await openDatabase({ dataDir: dir, logger: quiet });
    try {
      const found = await second.prisma.organization.findUnique({ where: { id: org.id } });
      expect(found?.name).toBe("Persistent");
    } finally {
      await second.close();
    }
  });

  it("refuses a second opener of the same directory with a clear message", async () => {
    const first = await openDatabase({ dataDir: dir, logger: quiet });
    try {
      await expect(openDatabase({ dataDir: dir, logger: quiet })).rejects.toThrow(/is in use by process \d+/);
      // The first opener is unharmed.
      expect(await first.prisma.organization.count()).toBe(1);
    } finally {
      await first.close();
    }
  });
});
