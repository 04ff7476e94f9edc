import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/demo.seed.js";
import { bearer, createTestApp, gql, type TestApp } from "../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const BOOTSTRAP = "bootstrap-key-for-tests-0123456789";

describe("demo seed", { timeout: 120_000 }, () => {
  it("creates the demo organisation on an empty database, with a working owner key", async () => {
    const result = await seedDemo(t.prisma, BOOTSTRAP);
    expect(result).toMatchObject({ created: true, ownerKey: BOOTSTRAP, keyFromEnvironment: true });
    const { body } = await gql<{ viewer: { organization: { name: string }; scopes: string[] } }>(
      t.app,
      BOOTSTRAP,
      "{ viewer { organization { name } scopes } }",
    );
    expect(body.data?.viewer).toEqual({ organization: { name: "Demo Organization" }, scopes: ["*"] });
    const users = await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(BOOTSTRAP) });
    expect(users.json().total).toBeGreaterThanOrEqual(4);
  });

  it("does nothing the second time", async () => {
    const before = await t.prisma.organization.count();
    expect(await seedDemo(t.prisma, BOOTSTRAP)).toMatchObject({ created: false, bootstrapKeyAdded: false });
    expect(await t.prisma.organization.count()).toBe(before);
  });

  it("adds a new BOOTSTRAP_API_KEY to the existing demo organisation", async () => {
    const next = "another-bootstrap-key-9876543210";
    expect(await seedDemo(t.prisma, next)).toMatchObject({ created: false, bootstrapKeyAdded: true });
    const { body } = await gql<{ viewer: { organization: { name: string } } }>(
      t.app,
      next,
      "{ viewer { organization { name } } }",
    );
    expect(body.data?.viewer.organization.name).toBe("Demo Organization");
    expect(await t.prisma.organization.count()).toBe(1);
  });

  it("generates a key when none is configured, once, when several servers start together", async () => {
    const fresh = await createTestApp();
    try {
      const results = await Promise.all([seedDemo(fresh.prisma), seedDemo(fresh.prisma)]);
      const created = results.filter((r) => r.created);
      expect(created).toHaveLength(1);
      expect(created[0]).toMatchObject({
        keyFromEnvironment: false,
        ownerKey: expect.stringMatching(/^gwk_/),
      });
      expect(await fresh.prisma.organization.count()).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});
