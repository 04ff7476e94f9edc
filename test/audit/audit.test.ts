// Every successful write, REST or GraphQL, leaves an audit event readable through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, createTestApp, globalId, gql, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg, rest } from "../records/fixtures.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;

type Event = {
  action: string;
  transport: string;
  resourceType: string | null;
  resourceId: string | null;
  status: number;
  requestId: string;
  forwardedUser: string | null;
  user: { displayName: string } | null;
};
const EVENTS = `query ($filter: AuditEventFilter) { auditEvents(first: 50, filter: $filter) { totalCount edges { node {
  action transport resourceType resourceId status requestId forwardedUser user { displayName } apiKey { name } occurredAt } } } }`;

async function events(key: string, filter?: Record<string, unknown>) {
  const { body } = await gql<{ auditEvents: { totalCount: number; edges: Array<{ node: Event }> } }>(
    t.app,
    key,
    EVENTS,
    { filter },
  );
  expect(body.errors).toBeUndefined();
  return body.data!.auditEvents.edges.map((e) => e.node);
}

beforeAll(async () => {
  t = await createTestApp();
  acme = await createRecordsOrg(t.prisma, "Acme");
  globex = await createRecordsOrg(t.prisma, "Globex");
});
afterAll(() => t.close());

describe("audit trail", () => {
  it("records a REST write with key, user, X-Forwarded-User and request id", async () => {
    const mike = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "mike@acme.example", displayName: "Mike" },
    });
    const key = await createKey(t.prisma, acme, { scopes: ["*"], canActForUsers: true });
    const created = await rest(t.app, key).post(
      "/v1/modules/contacts/records",
      { displayName: "Audited", fields: { name: "Audited" } },
      { "x-forwarded-user": "mike@acme.example", "x-request-id": "audit-req-1" },
    );
    expect(created.status).toBe(201);
    const [event] = await events(acme.key, { resourceId: created.body.record.id });
    expect(event).toMatchObject({
      action: "POST /v1/modules/:module/records",
      transport: "rest",
      resourceType: "modules",
      resourceId: created.body.record.id,
      status: 201,
      requestId: "audit-req-1",
      forwardedUser: "mike@acme.example",
      user: { displayName: "Mike" },
    });
    expect(mike.id).toBeTruthy();
  });

  it("records a GraphQL mutation, and not a query", async () => {
    const before = (await events(acme.key)).length;
    await gql(t.app, acme.key, "{ viewer { scopes } }");
    const mutation = await gql(
      t.app,
      acme.key,
      `mutation { createApiKey(input: { name: "audited", scopes: [USERS_READ] }) { apiKey { id } } }`,
      undefined,
      {
        "x-request-id": "audit-req-2",
      },
    );
    expect(mutation.body.errors).toBeUndefined();
    const after = await events(acme.key);
    expect(after.length).toBe(before + 1);
    expect(after[0]).toMatchObject({
      action: "mutation createApiKey",
      transport: "graphql",
      status: 200,
      requestId: "audit-req-2",
      user: { displayName: "Acme Owner" },
    });
  });

  it("does not record failed writes", async () => {
    const before = (await events(acme.key)).length;
    const failed = await rest(t.app, acme.key).post("/v1/modules/contacts/records", {
      fields: { email: "nope" },
    });
    expect(failed.status).toBe(400);
    const denied = await gql(
      t.app,
      acme.key,
      `mutation { createApiKey(input: { name: " ", scopes: [ALL] }) { secret } }`,
    );
    expect(denied.body.errors).toBeDefined();
    expect((await events(acme.key)).length).toBe(before);
  });

  it("filters by actor, resource and time", async () => {
    const byAction = await events(acme.key, { action: "mutation createApiKey" });
    expect(byAction.every((e) => e.action === "mutation createApiKey")).toBe(true);
    expect(byAction.length).toBeGreaterThanOrEqual(1);
    const future = await events(acme.key, { from: new Date(Date.now() + 60_000).toISOString() });
    expect(future).toEqual([]);
    const byOwner = await events(acme.key, { user: globalId("User", acme.ownerId) });
    expect(byOwner.every((e) => e.user?.displayName === "Acme Owner")).toBe(true);
  });

  it("a page of events names its users in one statement, whatever the page size", async () => {
    const query = (n: number) =>
      `{ auditEvents(first: ${n}) { edges { node { action user { displayName } } } } }`;
    const count = async (n: number) => {
      const before = t.db.statementCount();
      const { body } = await gql<{
        auditEvents: { edges: Array<{ node: { user: { displayName: string } | null } }> };
      }>(t.app, acme.key, query(n));
      expect(body.errors).toBeUndefined();
      return { statements: t.db.statementCount() - before, edges: body.data!.auditEvents.edges };
    };
    const one = await count(1);
    const page = await count(50);
    expect(new Set(page.edges.map((e) => e.node.user?.displayName)).size).toBeGreaterThanOrEqual(2);
    expect(one.statements).toBeGreaterThan(0);
    expect(page.statements).toBe(one.statements);
  });

  it("node(id:) of an event needs org:admin too", async () => {
    const { body } = await gql<{ auditEvents: { edges: Array<{ node: { id: string } }> } }>(
      t.app,
      acme.key,
      "{ auditEvents(first: 1) { edges { node { id } } } }",
    );
    const id = body.data!.auditEvents.edges[0]!.node.id;
    const NODE = "query ($id: ID!) { node(id: $id) { ... on AuditEvent { action } } }";
    const admin = await gql<{ node: { action: string } | null }>(t.app, acme.key, NODE, { id });
    expect(admin.body.data?.node?.action).toBeTruthy();
    const reader = await createKey(t.prisma, acme, { scopes: ["records:read"] });
    const denied = await gql(t.app, reader, NODE, { id });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const foreign = await gql(t.app, globex.key, NODE, { id });
    expect(foreign.body).toEqual({ data: { node: null } });
  });

  it("is confined to the organisation and needs org:admin", async () => {
    expect(await events(globex.key)).toEqual([]);
    const reader = await createKey(t.prisma, acme, { scopes: ["records:read"] });
    const { body } = await gql(t.app, reader, EVENTS);
    expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});
