// Permission groups (seed 004 "Public API Permissions"): an access token may call exactly the
// endpoint groups (scopes) its user's groups grant. For every scope, a token granted everything
// but that scope gets 403 on a representative endpoint of it, and a token granted everything
// gets 2xx there: REST where the scope has a route on /api/v1 or /api/v2, GraphQL otherwise.
import { randomUUID } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCOPE_NAMES, type Scope } from "../../src/identity/scopes.js";
import { DEMO_CONNECTION_NAME } from "../../src/semantic/semantic.seed.js";
import { bearer, globalId, gql, type Json, type TestApp, type TestOrg } from "../helpers/app.js";
import { closeWarehouse, openWarehouse } from "../semantic/fixtures.js";
import { accessToken, publicApi, tokenUser } from "./helpers.js";

let t: TestApp;
let org: TestOrg;
let demoModel: unknown;

beforeAll(async () => {
  ({ t, org } = await openWarehouse("e"));
  const metadata = await t.app.inject({
    method: "GET",
    url: `/api/v1/semantic-layer/metadata/${encodeURIComponent(DEMO_CONNECTION_NAME)}`,
    headers: bearer(org.key),
  });
  demoModel = metadata.json();
}, 120_000);
afterAll(() => closeWarehouse(t));

type Tokens = { v1: string; v2: string };
type Outcome = "ok" | "forbidden" | string;

function restOutcome(response: LightMyRequestResponse): Outcome {
  if (response.statusCode >= 200 && response.statusCode < 300) return "ok";
  if (response.statusCode === 403) return "forbidden";
  return `${response.statusCode} ${response.body.slice(0, 300)}`;
}

async function graphqlOutcome(tokens: Tokens, query: string, variables?: Record<string, unknown>) {
  const { status, body } = await gql<Json>(t.app, null, query, variables, publicApi(2, tokens.v2));
  if (status === 200 && !body.errors) return "ok";
  if (body.errors?.some((e: Json) => e.extensions?.code === "FORBIDDEN")) return "forbidden";
  return `${status} ${JSON.stringify(body.errors)}`;
}

const unique = () => randomUUID().slice(0, 8);

/** One representative endpoint per endpoint group. */
const PROBES: Record<Scope, (tokens: Tokens) => Promise<Outcome>> = {
  "org:admin": (k) => graphqlOutcome(k, "{ apiKeys { id } }"),
  "users:read": async (k) =>
    restOutcome(await t.app.inject({ method: "GET", url: "/api/v2/users", headers: publicApi(2, k.v2) })),
  "users:write": (k) =>
    graphqlOutcome(k, "mutation ($input: UpdateUserInput!) { updateUser(input: $input) { id } }", {
      input: { userId: globalId("User", org.ownerId), externalId: `ext-${unique()}` },
    }),
  "records:read": (k) => graphqlOutcome(k, "{ modules(first: 1) { edges { cursor } } }"),
  "records:write": (k) =>
    graphqlOutcome(k, "mutation ($input: CreateModuleInput!) { createModule(input: $input) { id } }", {
      input: {
        slug: `m${unique()}`,
        name: "Probe",
        fields: [{ slug: "title", label: "Title", type: "TEXT" }],
      },
    }),
  "catalog:read": async (k) =>
    restOutcome(
      await t.app.inject({ method: "GET", url: "/api/v1/catalog/list/@Shared", headers: publicApi(1, k.v1) }),
    ),
  "catalog:write": async (k) =>
    restOutcome(
      await t.app.inject({
        method: "POST",
        url: "/api/v1/catalog/folders",
        headers: publicApi(1, k.v1),
        payload: { parent_path: "@Shared", name: `probe-${unique()}` },
      }),
    ),
  "sql:execute": async (k) =>
    restOutcome(
      await t.app.inject({
        method: "POST",
        url: "/api/v1/exec/sql",
        headers: publicApi(1, k.v1),
        payload: { sql: "SELECT 1 AS one", connection: { name: DEMO_CONNECTION_NAME } },
      }),
    ),
  "semantic:read": async (k) =>
    restOutcome(
      await t.app.inject({
        method: "GET",
        url: `/api/v1/semantic-layer/metadata/${encodeURIComponent(DEMO_CONNECTION_NAME)}`,
        headers: publicApi(1, k.v1),
      }),
    ),
  "semantic:write": (k) =>
    graphqlOutcome(
      k,
      "mutation ($input: SetSemanticModelInput!) { setSemanticModel(input: $input) { name } }",
      { input: { connectionName: DEMO_CONNECTION_NAME, model: demoModel } },
    ),
  "entities:read": (k) => graphqlOutcome(k, "{ entities(first: 1) { edges { cursor } } }"),
  "entities:write": (k) =>
    graphqlOutcome(k, "mutation ($input: CreateEntityInput!) { createEntity(input: $input) { id } }", {
      input: { type: "widget", name: `w-${unique()}` },
    }),
  "projects:read": (k) => graphqlOutcome(k, "{ projects(first: 1) { edges { cursor } } }"),
  "projects:write": (k) =>
    graphqlOutcome(k, "mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }", {
      input: { name: `Probe ${unique()}` },
    }),
  scim: async (k) =>
    restOutcome(
      await t.app.inject({
        method: "GET",
        url: "/api/v1/scim/v2/ServiceProviderConfig",
        headers: publicApi(1, k.v1),
      }),
    ),
  "usage:read": async (k) =>
    restOutcome(
      await t.app.inject({ method: "GET", url: "/api/v2/databaseusages", headers: publicApi(2, k.v2) }),
    ),
};

async function tokensFor(permissions: string[]): Promise<Tokens> {
  const holder = await tokenUser(t, org, permissions);
  return {
    v1: await accessToken(t.app, 1, holder.refreshToken),
    v2: await accessToken(t.app, 2, holder.refreshToken),
  };
}

describe("permission groups on access tokens", { timeout: 120_000 }, () => {
  it("has a probe for every endpoint group", () => {
    expect(Object.keys(PROBES).sort()).toEqual([...SCOPE_NAMES].sort());
  });

  it.each(SCOPE_NAMES)("%s: 403 without it, 2xx with it", async (scope) => {
    const without = await tokensFor(SCOPE_NAMES.filter((s) => s !== scope));
    expect(await PROBES[scope](without)).toBe("forbidden");
    const all = await tokensFor([...SCOPE_NAMES]);
    expect(await PROBES[scope](all)).toBe("ok");
  });

  it("a user in no group gets 403 everywhere (least privilege)", async () => {
    const none = await tokensFor([]);
    for (const scope of SCOPE_NAMES) {
      expect(await PROBES[scope](none), scope).toBe("forbidden");
    }
  });

  it("the 403 body names the missing permission", async () => {
    const none = await tokensFor([]);
    const response = await t.app.inject({
      method: "GET",
      url: "/api/v2/databaseusages",
      headers: publicApi(2, none.v2),
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      message: "Forbidden: not enough permissions",
      detail: `This access token's permission groups do not grant "usage:read"`,
      code: "forbidden",
    });
  });

  it("groups of another organisation grant nothing", async () => {
    const holder = await tokenUser(t, org, []);
    const other = await t.prisma.organization.create({ data: { name: "Elsewhere" } });
    const group = await t.prisma.group.create({
      data: { organizationId: other.id, displayName: "everything", permissions: [...SCOPE_NAMES] },
    });
    await t.prisma.groupMember.create({ data: { groupId: group.id, userId: holder.userId } });
    const token = await accessToken(t.app, 2, holder.refreshToken);
    const { body } = await gql<Json>(t.app, null, "{ viewer { scopes } }", undefined, publicApi(2, token));
    expect(body.data.viewer.scopes).toEqual([]);
  });

  it("a group's change applies to live access tokens at their next request", async () => {
    const holder = await tokenUser(t, org, ["users:read"]);
    const token = await accessToken(t.app, 2, holder.refreshToken);
    const call = () =>
      t.app.inject({ method: "GET", url: "/api/v2/databaseusages", headers: publicApi(2, token) });
    expect((await call()).statusCode).toBe(403);
    const membership = await t.prisma.groupMember.findFirstOrThrow({ where: { userId: holder.userId } });
    await t.prisma.group.update({
      where: { id: membership.groupId },
      data: { permissions: ["users:read", "usage:read"] },
    });
    expect((await call()).statusCode).toBe(200);
  });
});
