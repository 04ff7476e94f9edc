// Both OpenAPI documents the server publishes are valid OpenAPI 3.1 (issue 15, item 9): every
// $ref resolves, path templates name their parameters, servers are given, every operation has
// a unique operationId and its 4xx responses, SCIM's bodies are described, the execution
// endpoints list CSV and Arrow; and Redocly's CLI (redocly.yaml) finds no error in either.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type Json, type TestApp } from "../helpers/app.js";

let t: TestApp;
const documents: Record<string, Json> = {};
const URLS = ["/openapi.json", "/api-swagger/json"] as const;

beforeAll(async () => {
  t = await createTestApp();
  for (const url of URLS) {
    const response = await t.app.inject({ method: "GET", url });
    expect(response.statusCode).toBe(200);
    documents[url] = response.json();
  }
}, 60_000);

afterAll(() => t?.close());

const METHODS = ["get", "put", "post", "delete", "patch"];
function operations(document: Json): Array<{ method: string; path: string; op: Json }> {
  return Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op: op as Json })),
  );
}

/** Every $ref in the document, by JSON pointer into the document itself. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, found);
  else if (value && typeof value === "object")
    for (const [key, child] of Object.entries(value)) {
      if (key === "$ref" && typeof child === "string") found.push(child);
      else refs(child, found);
    }
  return found;
}

function resolve(document: Json, pointer: string): unknown {
  return pointer
    .replace(/^#\//, "")
    .split("/")
    .map((part) => decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], document);
}

describe.each(URLS)("the OpenAPI document at %s", (url) => {
  it("resolves every $ref, names every path parameter and gives servers", () => {
    const document = documents[url];
    expect(document.openapi).toBe("3.1.0");
    expect(document.servers).toEqual([{ url: "/", description: "This server" }]);
    for (const pointer of refs(document)) expect(resolve(document, pointer), pointer).toBeDefined();
    for (const { path, op } of operations(document)) {
      expect(path).not.toContain("{*}");
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = ((op.parameters ?? []) as Json[])
        .filter((p) => p.in === "path")
        .map((p) => p.name)
        .sort();
      expect(declared, path).toEqual(templated);
    }
  });

  it("gives every operation a unique operationId and a 4xx response", () => {
    const ids = operations(documents[url]).map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[A-Za-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, path, op } of operations(documents[url])) {
      expect(
        Object.keys(op.responses).some((status) => status.startsWith("4")),
        `${method} ${path}`,
      ).toBe(true);
    }
  });

  it("describes SCIM's resources and errors, and the execution endpoints' CSV and Arrow", () => {
    const document = documents[url];
    const users = document.paths["/api/v1/scim/v2/Users"];
    expect(users.post.requestBody.content["application/scim+json"].schema).toEqual({
      $ref: "#/components/schemas/ScimUser",
    });
    expect(users.get.responses["200"].content["application/scim+json"].schema).toEqual({
      $ref: "#/components/schemas/ScimListResponse",
    });
    expect(
      document.paths["/api/v1/scim/v2/Groups/{id}"].patch.requestBody.content["application/scim+json"].schema,
    ).toEqual({
      $ref: "#/components/schemas/ScimPatchOp",
    });
    expect(users.post.responses["409"].content["application/scim+json"].schema).toEqual({
      $ref: "#/components/schemas/ScimError",
    });
    for (const exec of ["/api/v1/exec/sql", "/api/v1/exec/script", "/api/v1/exec/block"]) {
      expect(Object.keys(document.paths[exec].post.responses["200"].content).sort()).toEqual([
        "application/json",
        "application/vnd.apache.arrow.stream",
        "text/csv",
      ]);
    }
    // The catalog's wildcard routes take their path as a named parameter.
    expect(document.paths["/api/v1/catalog/by-path/{path}"].get.parameters).toContainEqual(
      expect.objectContaining({ in: "path", name: "path", required: true }),
    );
  });
});

describe("Redocly", () => {
  it("lints both documents without an error (redocly.yaml)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gw-openapi-test-"));
    try {
      const files = URLS.map((url, i) => {
        const file = path.join(dir, `document-${i}.json`);
        writeFileSync(file, JSON.stringify(documents[url]));
        return file;
      });
      const root = path.resolve(import.meta.dirname, "../..");
      const run = spawnSync(
        process.execPath,
        [
          path.join(root, "node_modules/@redocly/cli/bin/cli.js"),
          "lint",
          "--config",
          path.join(root, "redocly.yaml"),
          "--format",
          "stylish",
          ...files,
        ],
        { encoding: "utf8", env: { ...process.env, REDOCLY_TELEMETRY: "off" }, timeout: 120_000 },
      );
      const errors = `${run.stdout}\n${run.stderr}`.split("\n").filter((line) => /\berror\b/.test(line));
      expect(errors).toEqual([]);
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
