// The graph's shared machinery: Relay nodes, query limits, introspection switch, GraphiQL,
// API key management, and the committed schema being current.
import { readFileSync } from "node:fs";
import { printSchema } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../../src/graphql/schema.js";
import {
  bearer,
  createKey,
  createOrg,
  createTestApp,
  decodeGlobalId,
  gql,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
});
afterAll(() => t.close());

describe("schema.graphql", () => {
  it("is what the code builds (run `npm run schema:print` after changing the schema)", () => {
    const committed = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
    expect(committed).toBe(`${printSchema(schema)}\n`);
  });
});

describe("Relay nodes", () => {
  it("global ids are opaque and round-trip through node(id:)", async () => {
    const { body } = await gql<{ viewer: { user: { id: string } } }>(
      t.app,
      acme.key,
      "{ viewer { user { id } } }",
    );
    const id = body.data!.viewer.user.id;
    expect(id).not.toContain(acme.ownerId);
    expect(decodeGlobalId(id)).toEqual({ type: "User", id: acme.ownerId });
    const node = await gql(
      t.app,
      acme.key,
      "query ($id: ID!) { node(id: $id) { ... on User { displayName } } }",
      { id },
    );
    expect(node.body.data).toEqual({ node: { displayName: "Acme Owner" } });
  });

  it("a garbage id is a clear error, not a crash", async () => {
    const { body } = await gql(t.app, acme.key, 'query { node(id: "%%%") { id } }');
    expect(body.errors?.[0]?.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
  });
});

describe("limits", () => {
  let limited: TestApp;
  let org: TestOrg;
  beforeAll(async () => {
    limited = await createTestApp({
      GRAPHQL_MAX_DEPTH: "2",
      GRAPHQL_MAX_COST: "10",
      GRAPHQL_MAX_ALIASES: "1",
    });
    org = await createOrg(limited.prisma, "Limited");
  });
  afterAll(() => limited.close());

  it("runs a query within every limit", async () => {
    const { body } = await gql(limited.app, org.key, "{ viewer { scopes } a: viewer { scopes } }");
    expect(body.errors).toBeUndefined();
  });

  it("rejects a query deeper than GRAPHQL_MAX_DEPTH with QUERY_TOO_DEEP, before running it", async () => {
    const { body } = await gql(limited.app, org.key, "{ viewer { user { id } } }");
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_DEEP");
  });

  it("counts depth through fragments", async () => {
    const { body } = await gql(
      limited.app,
      org.key,
      "fragment V on Viewer { user { id } } { viewer { ...V } }",
    );
    expect(body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_DEEP");
  });

  it("rejects a query costing more than GRAPHQL_MAX_COST with QUERY_TOO_COSTLY", async () => {
    const { body } = await gql(
      limited.app,
      org.key,
      "{ apiKeys { name prefix scopes canActForUsers createdAt expiresAt revokedAt lastUsedAt } viewer { scopes } }",
    );
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COSTLY");
  });

  it("rejects more aliases than GRAPHQL_MAX_ALIASES with TOO_MANY_ALIASES", async () => {
    const { body } = await gql(limited.app, org.key, "{ a: viewer { scopes } b: viewer { scopes } }");
    expect(body.data).toBeUndefined();
    expect(body.errors?.map((e) => e.extensions?.code)).toContain("TOO_MANY_ALIASES");
  });
});

describe("introspection switch", () => {
  it("is on by default", async () => {
    const { body } = await gql<{ __schema: { queryType: { name: string } } }>(
      t.app,
      acme.key,
      "{ __schema { queryType { name } } }",
    );
    expect(body.data?.__schema.queryType.name).toBe("Query");
  });

  it("GRAPHQL_INTROSPECTION=false refuses introspection and GraphiQL", async () => {
    const closed = await createTestApp({ GRAPHQL_INTROSPECTION: "false" });
    try {
      const org = await createOrg(closed.prisma, "Closed");
      const { body } = await gql(closed.app, org.key, "{ __schema { queryType { name } } }");
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0]?.message).toMatch(/introspection/i);
      const ok = await gql(closed.app, org.key, "{ viewer { scopes } }");
      expect(ok.body.data).toEqual({ viewer: { scopes: ["*"] } });
      const page = await closed.app.inject({
        method: "GET",
        url: "/graphql",
        headers: { accept: "text/html" },
      });
      expect(page.headers["content-type"]).not.toMatch(/text\/html/);
    } finally {
      await closed.close();
    }
  });
});

describe("GraphiQL", () => {
  it("serves a page whose assets are all ours", async () => {
    const page = await t.app.inject({ method: "GET", url: "/graphql", headers: { accept: "text/html" } });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    const html = page.body;
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith("/graphiql/")).toBe(true);
      const response = await t.app.inject({ method: "GET", url: asset });
      expect(response.statusCode).toBe(200);
      expect(response.headers["cache-control"]).toContain("immutable");
    }
    const options = JSON.parse(
      /<script type="application\/json" id="graphiql-options">(.*?)<\/script>/s.exec(html)![1]!,
    );
    expect(options.defaultQuery).toContain("viewer");
    expect(options.headers).toContain("Authorization");
  });
});

describe("API key management", () => {
  it("createApiKey shows the secret once; it works; apiKeys never shows it; revokeApiKey stops it", async () => {
    const created = await gql<{
      createApiKey: {
        secret: string;
        apiKey: { id: string; name: string; prefix: string; scopes: string[] };
      };
    }>(
      t.app,
      acme.key,
      `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name prefix scopes expiresAt } } }`,
      { input: { name: "reader", scopes: ["USERS_READ"], expiresAt: "2099-01-01T00:00:00Z" } },
    );
    expect(created.body.errors).toBeUndefined();
    const { secret, apiKey } = created.body.data!.createApiKey;
    expect(secret).toMatch(/^gwk_[A-Za-z0-9_-]{43}$/);
    expect(secret.startsWith(apiKey.prefix)).toBe(true);
    expect(apiKey.scopes).toEqual(["users:read"]);

    const users = await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(secret) });
    expect(users.statusCode).toBe(200);
    const forbidden = await gql(t.app, secret, "{ apiKeys { id } }");
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const listed = await gql(t.app, acme.key, "{ apiKeys { id name prefix } }");
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(listed.body.data?.apiKeys).toContainEqual({
      id: apiKey.id,
      name: "reader",
      prefix: apiKey.prefix,
    });

    const revoked = await gql(
      t.app,
      acme.key,
      "mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
      { id: apiKey.id },
    );
    expect(revoked.body.data).toEqual({ revokeApiKey: { revokedAt: expect.any(String) } });
    expect(
      (await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(secret) })).statusCode,
    ).toBe(401);
  });

  it("rejects bad input with VALIDATION_ERROR naming the field, creating nothing", async () => {
    const before = await t.prisma.apiKey.count();
    const { body } = await gql(
      t.app,
      acme.key,
      `mutation { createApiKey(input: { name: "  ", scopes: [ALL], expiresAt: "2001-01-01T00:00:00Z" }) { secret } }`,
    );
    expect(body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    const fields = ((body.errors?.[0]?.extensions?.issues ?? []) as Array<{ field: string }>)
      .map((i) => i.field)
      .sort();
    expect(fields).toEqual(["expiresAt", "name"]);
    expect(await t.prisma.apiKey.count()).toBe(before);
  });

  it("a key without org:admin cannot create keys", async () => {
    const key = await createKey(t.prisma, acme, { scopes: ["users:read"] });
    const { body } = await gql(
      t.app,
      key,
      `mutation { createApiKey(input: { name: "x", scopes: [ALL] }) { secret } }`,
    );
    expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("introspection before a key is entered (GraphiQL's first schema fetch)", () => {
  const INTROSPECTION = "query IntrospectionQuery { __schema { queryType { name } types { name } } }";

  it("runs an introspection-only operation without a key", async () => {
    for (const headers of [{}, { authorization: "Bearer <your API key>" }]) {
      const response = await t.app.inject({
        method: "POST",
        url: "/graphql",
        headers: { "content-type": "application/json", ...headers },
        payload: { query: INTROSPECTION },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().data.__schema.queryType.name).toBe("Query");
    }
  });

  it("still needs a key for anything else, even mixed with introspection", async () => {
    for (const query of [
      "{ viewer { scopes } }",
      "{ __schema { queryType { name } } viewer { scopes } }",
      "fragment F on Query { viewer { scopes } } { ...F }",
    ]) {
      const { status, body } = await gql(t.app, null, query);
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
  });
});
