// Health, readiness, OpenAPI and its docs UI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("health", () => {
  it("/healthz answers without a key", async () => {
    const response = await t.app.inject({ method: "GET", url: "/healthz" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ok" });
  });

  it("/readyz checks the database", async () => {
    const response = await t.app.inject({ method: "GET", url: "/readyz" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ready", database: t.db.kind });
  });
});

describe("OpenAPI", () => {
  it("/openapi.json is an OpenAPI 3.1 document generated from the routes", async () => {
    const response = await t.app.inject({ method: "GET", url: "/openapi.json" });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: "http", scheme: "bearer" });
    const list = doc.paths["/v1/users"].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["page", "page_size"]),
    );
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(["200", "401", "403"]));
    const patch = doc.paths["/v1/users/{user_id}"].patch;
    expect(patch.requestBody.content["application/json"].schema).toBeDefined();
    // Internal routes are not part of the contract.
    expect(doc.paths["/graphql"]).toBeUndefined();
    expect(doc.paths["/healthz"]).toBeUndefined();
  });

  it("has a docs UI at /docs whose assets are served locally", async () => {
    const page = await t.app.inject({ method: "GET", url: "/docs/" });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("swagger-ui");
    const scripts = [...page.body.matchAll(/src="\.?\/?([^"]+\.js)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      expect(script).not.toMatch(/^https?:/);
      const asset = await t.app.inject({ method: "GET", url: `/docs/${script.replace(/^docs\//, "")}` });
      expect(asset.statusCode).toBe(200);
    }
  });
});

describe("readiness when the database is gone", () => {
  it("/readyz answers 503", async () => {
    const broken = await createTestApp();
    await broken.db.close();
    try {
      const response = await broken.app.inject({ method: "GET", url: "/readyz" });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: "unavailable", database: broken.db.kind });
    } finally {
      await broken.app.close();
    }
  });
});
