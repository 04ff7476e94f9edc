// The typed graph (issue 12, docs/graph.md): each organisation's modules as GraphQL types of
// their own, on the demo modules (accounts, contacts, deals), through the real HTTP stack.
import { buildSchema, type GraphQLObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOrg,
  createTestApp,
  decodeGlobalId,
  gql,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";
import { createRecordsOrg, rest } from "./fixtures.js";

let t: TestApp;
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  org = await createRecordsOrg(t.prisma);
  other = await createOrg(t.prisma, "Other");
  // The other organisation has a module of its own the first must never see.
  const created = await gql<Json>(
    t.app,
    other.key,
    `mutation { createModule(input: { slug: "invoices", name: "Invoices", fields: [{ slug: "number", label: "Number", type: TEXT }] }) { typeName } }`,
  );
  expect(created.body.data.createModule.typeName).toBe("Invoice");
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const q = (query: string, variables?: Json, key = org.key): Promise<{ status: number; body: Json }> =>
  gql(t.app, key, query, variables);

describe("names and types", () => {
  it("names each module's type and fields (Module.typeName, FieldDefinition.graphqlName)", async () => {
    const { body } = await q(`{ modules { edges { node { slug typeName fields { slug graphqlName } } } } }`);
    expect(body.errors).toBeUndefined();
    const modules = Object.fromEntries(body.data.modules.edges.map((e: Json) => [e.node.slug, e.node]));
    expect(modules.accounts.typeName).toBe("Account");
    expect(modules.contacts.typeName).toBe("Contact");
    expect(modules.deals.typeName).toBe("Deal");
    const contactFields = Object.fromEntries(
      modules.contacts.fields.map((f: Json) => [f.slug, f.graphqlName]),
    );
    expect(contactFields).toMatchObject({
      deal_value: "dealValue",
      do_not_call: "doNotCall",
      job_title: "jobTitle",
    });
  });

  it("gives the organisation its own types in introspection, and never another organisation's", async () => {
    const types = async (key: string) => {
      const { body } = await q(`{ __schema { types { name } } }`, undefined, key);
      return new Set(body.data.__schema.types.map((x: Json) => x.name));
    };
    const mine = await types(org.key);
    expect(mine.has("Contact")).toBe(true);
    expect(mine.has("ContactFilter")).toBe(true);
    expect(mine.has("Invoice")).toBe(false);
    const theirs = await types(other.key);
    expect(theirs.has("Invoice")).toBe(true);
    expect(theirs.has("Contact")).toBe(false);
    // Anonymous introspection (GraphiQL's first fetch) sees the static schema only.
    const anonymous = await gql<Json>(t.app, null, `{ __schema { types { name } } }`);
    const names = new Set(anonymous.body.data.__schema.types.map((x: Json) => x.name));
    expect(names.has("Record")).toBe(true);
    expect(names.has("Contact")).toBe(false);
    expect(names.has("Invoice")).toBe(false);
  });

  it("fails validation for a document naming another organisation's types", async () => {
    const { body } = await q(`{ invoices { totalCount } }`);
    expect(body.data).toBeUndefined();
    expect(body.errors[0]).toMatchObject({ extensions: { code: "GRAPHQL_VALIDATION_FAILED" } });
    expect(body.errors[0].message).toMatch(/Cannot query field "invoices"/);
    const fragment = await q(`query { node(id: "x") { ... on Invoice { number } } }`);
    expect(fragment.body.data).toBeUndefined();
    expect(fragment.body.errors[0].message).toMatch(/Unknown type "Invoice"/);
  });
});

describe("the schema document for codegen", () => {
  it("GET /graphql/schema.graphql prints the caller's whole schema, typed types included", async () => {
    const mine = await t.app.inject({
      method: "GET",
      url: "/graphql/schema.graphql",
      headers: { authorization: `Bearer ${org.key}` },
    });
    expect(mine.statusCode).toBe(200);
    expect(mine.headers["content-type"]).toMatch(/^text\/plain/);
    const sdl = buildSchema(mine.body);
    expect(sdl.getType("Contact")?.toString()).toBe("Contact");
    expect(Object.keys((sdl.getType("Contact") as GraphQLObjectType).getFields())).toContain("dealValue");
    expect(sdl.getQueryType()?.getFields().contacts).toBeDefined();
    expect(sdl.getType("Invoice")).toBeUndefined();
    const theirs = await t.app.inject({
      method: "GET",
      url: "/graphql/schema.graphql",
      headers: { authorization: `Bearer ${other.key}` },
    });
    expect(buildSchema(theirs.body).getType("Contact")).toBeUndefined();
    const anonymous = await t.app.inject({ method: "GET", url: "/graphql/schema.graphql" });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe("reading", () => {
  it("reads every field type, references both ways, and createdBy", async () => {
    const { body } = await q(`{
      contacts(first: 10, orderBy: [{ field: NAME, direction: ASC }]) {
        totalCount
        edges { node {
          id recordId displayName name email phone dealValue status priority tags doNotCall
          lastContacted notes labelIds typeIds privacyLevel version createdAt
          createdBy { email } owner { email } module { slug typeName }
          account { name industry segment annualRevenue website dealsByAccount { totalCount edges { node { name stage } } } }
        } }
      }
    }`);
    expect(body.errors).toBeUndefined();
    const contacts = body.data.contacts;
    expect(contacts.totalCount).toBe(5);
    const john = contacts.edges.map((e: Json) => e.node).find((c: Json) => c.name === "John Smith");
    expect(john).toMatchObject({
      email: "john.smith@acme.example",
      dealValue: 150000,
      status: "ACTIVE",
      priority: "HIGH",
      tags: ["VIP"],
      lastContacted: "2024-01-10",
      privacyLevel: "ACCOUNT",
      version: 1,
      module: { slug: "contacts", typeName: "Contact" },
      account: { name: "Acme Corporation", industry: "TECHNOLOGY", annualRevenue: 120000000 },
    });
    expect(john.createdBy.email).toBeTruthy();
    expect(john.owner.email).toBeTruthy();
    expect(john.phone).toBe("+1 (555) 010-000");
    expect(john.doNotCall).toBeNull();
    expect(john.account.website).toBe("https://acme.example");
    expect(john.account.segment).toBe("ENTERPRISE");
    expect(john.labelIds).toEqual(["lbl_vip"]);
    const won = await q(
      `{ deals(filter: { stage: { eq: WON } }) { edges { node { closedAt closeDate relatedContacts { totalCount edges { node { name } } } } } } }`,
    );
    expect(won.body.data.deals.edges[0].node).toEqual({
      closedAt: "2024-02-15T10:00:00.000Z",
      closeDate: "2024-03-31",
      relatedContacts: {
        totalCount: 2,
        edges: [{ node: { name: "Bob Wilson" } }, { node: { name: "Carol Martinez" } }],
      },
    });
    expect(decodeGlobalId(john.id)).toEqual({ type: "Record", id: john.recordId.slice(4) });
    expect(john.account.dealsByAccount.totalCount).toBe(1);
    expect(john.account.dealsByAccount.edges[0].node).toEqual({
      name: "Acme enterprise renewal",
      stage: "NEGOTIATION",
    });
  });

  it("reads one record by id, and node(id:) answers the typed object (or Record when asked for)", async () => {
    const list = await q(
      `{ deals(first: 1, orderBy: [{ field: AMOUNT, direction: DESC }]) { edges { node { id recordId name } } } }`,
    );
    const deal = list.body.data.deals.edges[0].node;
    expect(deal.name).toBe("Acme enterprise renewal");
    const one = await q(
      `query($id: ID!) { deal(id: $id) { name amount } byRest: deal(id: "${deal.recordId}") { name } }`,
      {
        id: deal.id,
      },
    );
    expect(one.body.data).toEqual({ deal: { name: deal.name, amount: 150000 }, byRest: { name: deal.name } });
    const node = await q(`query($id: ID!) { node(id: $id) { __typename ... on Deal { amount stage } } }`, {
      id: deal.id,
    });
    expect(node.body.data.node).toEqual({ __typename: "Deal", amount: 150000, stage: "NEGOTIATION" });
    const generic = await q(
      `query($id: ID!) { node(id: $id) { __typename ... on Record { displayName } } }`,
      {
        id: deal.id,
      },
    );
    expect(generic.body.data.node).toEqual({ __typename: "Record", displayName: deal.name });
    const missing = await q(`{ deal(id: "rec_00000000-0000-4000-8000-000000000000") { name } }`);
    expect(missing.body).toEqual({ data: { deal: null } });
  });

  it("pages forward and backward with cursors", async () => {
    const first = await q(
      `{ contacts(first: 2, orderBy: [{ field: NAME }]) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`,
    );
    const names = first.body.data.contacts.edges.map((e: Json) => e.node.name);
    expect(names).toEqual(["Alice Johnson", "Bob Wilson"]);
    const next = await q(
      `query($after: String) { contacts(first: 2, after: $after, orderBy: [{ field: NAME }]) { edges { node { name } } } }`,
      {
        after: first.body.data.contacts.pageInfo.endCursor,
      },
    );
    expect(next.body.data.contacts.edges.map((e: Json) => e.node.name)).toEqual([
      "Carol Martinez",
      "Jane Doe",
    ]);
    const last = await q(
      `{ contacts(last: 2, orderBy: [{ field: NAME }]) { edges { node { name } } pageInfo { hasPreviousPage } } }`,
    );
    expect(last.body.data.contacts.edges.map((e: Json) => e.node.name)).toEqual(["Jane Doe", "John Smith"]);
    expect(last.body.data.contacts.pageInfo.hasPreviousPage).toBe(true);
    const tooMany = await q(`{ contacts(first: 101) { totalCount } }`);
    expect(tooMany.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
  });

  it("pages reverse references per parent, batched, with cursors that continue", async () => {
    const { body } = await q(`{ accounts(orderBy: [{ field: NAME }]) { edges { node { name
      contactsByAccount(first: 1, orderBy: [{ field: NAME }]) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } }
      active: contactsByAccount(filter: { status: { eq: ACTIVE } }) { totalCount }
    } } } }`);
    expect(body.errors).toBeUndefined();
    const accounts = body.data.accounts.edges.map((e: Json) => e.node);
    expect(
      accounts.map((a: Json) => [
        a.name,
        a.contactsByAccount.totalCount,
        a.contactsByAccount.edges[0]?.node.name,
        a.active.totalCount,
      ]),
    ).toEqual([
      ["Acme Corporation", 2, "Jane Doe", 2],
      ["Acme Startup Labs", 1, "Alice Johnson", 0],
      ["Globex Finance", 2, "Bob Wilson", 0],
    ]);
    expect(accounts[0].contactsByAccount.pageInfo.hasNextPage).toBe(true);
    expect(accounts[1].contactsByAccount.pageInfo.hasNextPage).toBe(false);
    const acme = await q(
      `query($after: String) { accounts(filter: { name: { eq: "Acme Corporation" } }) { edges { node {
      contactsByAccount(first: 5, after: $after, orderBy: [{ field: NAME }]) { edges { node { name } } } } } } }`,
      {
        after: accounts[0].contactsByAccount.pageInfo.endCursor,
      },
    );
    expect(acme.body.data.accounts.edges[0].node.contactsByAccount.edges).toEqual([
      { node: { name: "John Smith" } },
    ]);
  });

  it("aggregates the filtered set in SQL", async () => {
    const { body } = await q(`{
      deals(filter: { amount: { gte: 20000 } }, first: 1) {
        aggregate { count sum { amount } avg { amount } min { amount } max { amount } }
      }
      accounts { aggregate { count max { annualRevenue } } }
    }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.deals.aggregate).toEqual({
      count: 3,
      sum: { amount: 220000 },
      avg: { amount: 220000 / 3 },
      min: { amount: 20000 },
      max: { amount: 150000 },
    });
    expect(body.data.accounts.aggregate).toEqual({ count: 3, max: { annualRevenue: 120000000 } });
  });

  it("filters through references (nested), with and/or/not, and orders", async () => {
    const { body } = await q(`{
      tech: contacts(filter: { account: { industry: { eq: TECHNOLOGY } } }, orderBy: [{ field: NAME }]) { edges { node { name } } }
      notTech: contacts(filter: { not: { account: { industry: { eq: TECHNOLOGY } } } }, orderBy: [{ field: NAME }]) { edges { node { name } } }
      either: contacts(filter: { or: [{ status: { eq: LEAD } }, { dealValue: { gte: 100000 } }] }, orderBy: [{ field: DEAL_VALUE, direction: DESC }]) { edges { node { name } } }
      deep: deals(filter: { relatedContacts: { account: { segment: { eq: STARTUP } } } }) { edges { node { name } } }
    }`);
    expect(body.errors).toBeUndefined();
    const names = (key: string) => body.data[key].edges.map((e: Json) => e.node.name);
    expect(names("tech")).toEqual(["Alice Johnson", "Jane Doe", "John Smith"]);
    expect(names("notTech")).toEqual(["Bob Wilson", "Carol Martinez"]);
    expect(names("either")).toEqual(["John Smith", "Alice Johnson"]);
    expect(names("deep")).toEqual(["Startup Labs pilot"]);
  });

  it("refuses a bad filter value with the REST filter's error", async () => {
    const { body } = await q(`{ contacts(filter: { lastContacted: { eq: "2024-13-45" } }) { totalCount } }`);
    expect(body.errors[0].extensions.code).toBeDefined();
    const between = await q(`{ deals(filter: { amount: { between: [1] } }) { totalCount } }`);
    expect(between.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
    expect(between.body.errors[0].message).toMatch(/between/);
  });
});

describe("writing", () => {
  it("creates, updates (with expectedVersion) and deletes a typed record, validated as REST validates", async () => {
    const account = await q(
      `{ accounts(filter: { name: { eq: "Globex Finance" } }) { edges { node { id } } } }`,
    );
    const accountId = account.body.data.accounts.edges[0].node.id;
    const created = await q(
      `mutation($input: CreateContactInput!) { createContact(input: $input) { id name status tags account { name } version lastContacted } }`,
      {
        input: {
          name: "Dana Typed",
          status: "LEAD",
          tags: ["VIP", "PARTNER"],
          account: accountId,
          lastContacted: "2024-05-01",
        },
      },
    );
    expect(created.body.errors).toBeUndefined();
    const contact = created.body.data.createContact;
    expect(contact).toMatchObject({
      name: "Dana Typed",
      status: "LEAD",
      tags: ["VIP", "PARTNER"],
      account: { name: "Globex Finance" },
      version: 1,
    });
    // REST sees what the typed graph wrote, in the REST shapes.
    const restView = await rest(t.app, org.key).get(
      `/v1/modules/contacts/records/rec_${decodeGlobalId(contact.id).id}`,
    );
    expect(restView.status).toBe(200);
    expect(JSON.stringify(restView.body)).toContain("partner");

    const updated = await q(
      `mutation($input: UpdateContactInput!) { updateContact(input: $input) { name dealValue version } }`,
      { input: { id: contact.id, expectedVersion: 1, dealValue: 1234.5 } },
    );
    expect(updated.body.data.updateContact).toEqual({ name: "Dana Typed", dealValue: 1234.5, version: 2 });
    const stale = await q(
      `mutation($input: UpdateContactInput!) { updateContact(input: $input) { version } }`,
      { input: { id: contact.id, expectedVersion: 1, dealValue: 1 } },
    );
    expect(stale.body.errors[0].extensions.code).toBe("CONFLICT");

    const invalid = await q(`mutation { createContact(input: { email: "not-an-email" }) { id } }`);
    const viaRest = await rest(t.app, org.key).post("/v1/modules/contacts/records", {
      fields: { email: "not-an-email" },
    });
    expect(viaRest.status).toBe(400);
    expect(invalid.body.errors[0].extensions.code).toBe("VALIDATION_ERROR");
    expect(JSON.stringify(invalid.body.errors[0].extensions)).toMatch(/email/);

    const removed = await q(
      `mutation($id: ID!) { deleteContact(input: { id: $id }) { deletedId record { name } } }`,
      { id: contact.id },
    );
    expect(removed.body.data.deleteContact).toEqual({
      deletedId: contact.id,
      record: { name: "Dana Typed" },
    });
    const gone = await q(`query($id: ID!) { contact(id: $id) { name } }`, { id: contact.id });
    expect(gone.body.data.contact).toBeNull();
  });
});
