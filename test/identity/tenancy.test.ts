// A key of one organisation cannot read or change anything of another.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKeySecret } from "../../src/identity/api-key-secret.js";
import {
  bearer,
  createOrg,
  createTestApp,
  globalId,
  gql,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  globex = await createOrg(t.prisma, "Globex");
});
afterAll(() => t.close());

const NODE = `query ($id: ID!) { node(id: $id) { id __typename ... on User { email } ... on Organization { name } } }`;

describe("tenant isolation", () => {
  it("node(id:) of another organisation's user, organisation or key is null", async () => {
    const globexKey = await t.prisma.apiKey.findFirstOrThrow({ where: { organizationId: globex.id } });
    for (const id of [
      globalId("User", globex.ownerId),
      globalId("Organization", globex.id),
      globalId("ApiKey", globexKey.id),
    ]) {
      const { status, body } = await gql(t.app, acme.key, NODE, { id });
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({ node: null });
    }
  });

  it("node(id:) of one's own objects resolves", async () => {
    const { body } = await gql<{ node: { email: string } }>(t.app, acme.key, NODE, {
      id: globalId("User", acme.ownerId),
    });
    expect(body.data?.node).toMatchObject({ __typename: "User", email: "owner@acme.example" });
    const org = await gql<{ node: { name: string } }>(t.app, acme.key, NODE, {
      id: globalId("Organization", acme.id),
    });
    expect(org.body.data?.node).toMatchObject({ __typename: "Organization", name: "Acme" });
  });

  it("nodes(ids:) returns null in the places of foreign and malformed ids, in order", async () => {
    const ids = [
      globalId("User", acme.ownerId),
      globalId("User", globex.ownerId),
      globalId("User", "not-a-uuid"),
    ];
    const { body } = await gql<{ nodes: Array<{ id: string } | null> }>(
      t.app,
      acme.key,
      "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }",
      { ids },
    );
    expect(body.data?.nodes).toEqual([{ id: ids[0] }, null, null]);
  });

  it("GET /v1/users lists only the caller's organisation", async () => {
    const response = await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(acme.key) });
    const emails = response.json().items.map((u: { email: string }) => u.email);
    expect(emails).toEqual(["owner@acme.example"]);
  });

  it("PATCH of another organisation's user is a 404 and changes nothing", async () => {
    const response = await t.app.inject({
      method: "PATCH",
      url: `/v1/users/${globex.ownerId}`,
      headers: bearer(acme.key),
      payload: { role: "member" },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe("not_found");
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: globex.ownerId } })).role).toBe("owner");
  });

  it("revokeApiKey of another organisation's key is NOT_FOUND and the key keeps working", async () => {
    const globexKey = await t.prisma.apiKey.findFirstOrThrow({
      where: { secretHash: hashApiKeySecret(globex.key) },
    });
    const { body } = await gql(t.app, acme.key, "mutation ($id: ID!) { revokeApiKey(id: $id) { id } }", {
      id: globalId("ApiKey", globexKey.id),
    });
    expect(body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const check = await gql(t.app, globex.key, "{ viewer { scopes } }");
    expect(check.status).toBe(200);
  });

  it("apiKeys lists only the caller's keys", async () => {
    const { body } = await gql<{ apiKeys: Array<{ name: string }> }>(
      t.app,
      acme.key,
      "{ apiKeys { name user { email } } }",
    );
    expect(body.data?.apiKeys).toEqual([{ name: "Owner key", user: { email: "owner@acme.example" } }]);
  });
});
