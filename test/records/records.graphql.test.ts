// Modules and records in the graph: queries, connections, mutations, error codes, and the
// statement count of a nested page (no N+1).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, decodeGlobalId, gql, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg, type Json, qs, rest } from "./fixtures.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;

beforeAll(async () => {
  // Default limits: the nested page of 100 records below costs 1 202 of the 10 000 allowed.
  t = await createTestApp();
  acme = await createRecordsOrg(t.prisma, "Acme");
  globex = await createRecordsOrg(t.prisma, "Globex");
});
afterAll(() => t.close());

const ok = <T = Json>(res: { body: { data?: unknown; errors?: unknown } }) => {
  expect(res.body.errors).toBeUndefined();
  return res.body.data as T;
};

describe("queries", () => {
  it("lists modules as a connection and reads one by slug with fields and references", async () => {
    const data = ok(
      await gql(
        t.app,
        acme.key,
        `{ modules { totalCount: edges { node { slug } } }
           module(slug: "contacts") { id slug name fields { slug type required options }
             references { slug targetType targetModule { slug } relationshipType } } }`.replace(
          "totalCount: ",
          "",
        ),
      ),
    );
    expect(data.modules.edges.map((e: Json) => e.node.slug)).toEqual(["accounts", "contacts", "deals"]);
    expect(decodeGlobalId(data.module.id).type).toBe("Module");
    expect(data.module.references).toEqual([
      {
        slug: "account",
        targetType: "MODULE",
        targetModule: { slug: "accounts" },
        relationshipType: "MANY_TO_ONE",
      },
      { slug: "owner", targetType: "USER", targetModule: null, relationshipType: "MANY_TO_ONE" },
    ]);
    expect(ok(await gql(t.app, acme.key, `{ module(slug: "nope") { id } }`)).module).toBeNull();
  });

  it("pages Module.records with filter, orderBy, totalCount and cursors that survive inserts", async () => {
    const query = `query($after: String, $filter: RecordFilter) { module(slug: "contacts") {
      records(first: 2, after: $after, filter: $filter, orderBy: [{ field: "deal_value", direction: DESC }]) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor node { id recordId displayName moduleSlug fields version privacyLevel createdBy { displayName } } } } } }`;
    const first = ok(await gql(t.app, acme.key, query)).module.records;
    expect(first.totalCount).toBe(5);
    expect(first.edges.map((e: Json) => e.node.displayName)).toEqual(["John Smith", "Jane Doe"]);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const john = first.edges[0].node;
    expect(john.recordId).toMatch(/^rec_/);
    expect(decodeGlobalId(john.id)).toEqual({ type: "Record", id: john.recordId.slice(4) });
    expect(john).toMatchObject({
      moduleSlug: "contacts",
      version: 1,
      privacyLevel: "ACCOUNT",
      createdBy: { displayName: "Acme Owner" },
    });
    // A record inserted before the cursor does not shift the next page.
    await rest(t.app, acme.key).post("/v1/modules/contacts/records", {
      fields: { name: "Big Spender", deal_value: 999999 },
    });
    const second = ok(await gql(t.app, acme.key, query, { after: first.pageInfo.endCursor })).module.records;
    expect(second.edges.map((e: Json) => e.node.displayName)).toEqual(["Bob Wilson", "Alice Johnson"]);
    expect(second.pageInfo.hasPreviousPage).toBe(true);
    const filtered = ok(
      await gql(t.app, acme.key, query, {
        filter: {
          conjunction: "AND",
          conditions: [{ fieldSlug: "status", operator: "EQ", value: "active" }],
          groups: [
            {
              conjunction: "OR",
              conditions: [
                { fieldSlug: "deal_value", operator: "GTE", value: 100000 },
                { fieldSlug: "priority", operator: "EQ", value: "high" },
              ],
            },
          ],
        },
      }),
    ).module.records;
    expect(filtered.edges.map((e: Json) => e.node.displayName)).toEqual(["John Smith"]);
    expect(filtered.totalCount).toBe(1);
  });

  it("returns the same records as REST for the same filter", async () => {
    const advancedFilter = {
      root: {
        conjunction: "OR",
        conditions: [
          { fieldSlug: "email", operator: "endsWith", value: "acme.example" },
          { fieldSlug: "last_contacted", operator: "after", value: "2024-01-13" },
        ],
      },
    };
    const viaRest = await rest(t.app, acme.key).get(
      `/v1/modules/contacts/records?${qs({ advancedFilter: JSON.stringify(advancedFilter) })}`,
    );
    const viaGraph = ok(
      await gql(
        t.app,
        acme.key,
        `{ module(slug: "contacts") { records(first: 100, filter: { conjunction: OR, conditions: [
            { fieldSlug: "email", operator: ENDS_WITH, value: "acme.example" },
            { fieldSlug: "last_contacted", operator: AFTER, value: "2024-01-13" } ] }) { edges { node { recordId } } } } }`,
      ),
    );
    expect(viaGraph.module.records.edges.map((e: Json) => e.node.recordId)).toEqual(
      viaRest.body.records.map((r: Json) => r.id),
    );
    expect(viaRest.body.total).toBe(3);
  });

  it("resolves Record.linked and node(id), confined to the organisation", async () => {
    const data = ok(
      await gql(
        t.app,
        acme.key,
        `{ module(slug: "deals") { records(first: 10, orderBy: [{ field: "name" }]) { edges { node { id displayName
            linked(reference: "related_contacts") { totalCount edges { node { displayName module { slug } } } } } } } } }`,
      ),
    );
    const deal = data.module.records.edges[0].node;
    expect(deal.displayName).toBe("Acme enterprise renewal");
    expect(deal.linked.totalCount).toBe(2);
    expect(deal.linked.edges.map((e: Json) => e.node.displayName)).toEqual(["John Smith", "Jane Doe"]);
    const node = ok(
      await gql(t.app, acme.key, `query($id: ID!) { node(id: $id) { ... on Record { displayName } } }`, {
        id: deal.id,
      }),
    );
    expect(node.node).toEqual({ displayName: "Acme enterprise renewal" });
    const foreign = await gql(t.app, globex.key, `query($id: ID!) { node(id: $id) { id } }`, { id: deal.id });
    expect(foreign.body.data?.node ?? null).toBeNull();
    const bad = await gql(
      t.app,
      acme.key,
      `query($id: ID!) { node(id: $id) { ... on Record { linked(reference: "nope") { totalCount } } } }`,
      { id: deal.id },
    );
    expect(bad.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
  });

  it("runs a small fixed number of SQL statements for a nested page of 100 records", async () => {
    const api = rest(t.app, acme.key);
    const account = (await api.get("/v1/modules/accounts/records?search=globex")).body.records[0].id;
    for (let i = 0; i < 100; i++)
      await api.post("/v1/modules/contacts/records", { fields: { name: `Bulk ${i}`, account } });
    const count = async (first: number) => {
      const statements = await captureStatements(() =>
        gql(
          t.app,
          acme.key,
          `{ module(slug: "contacts") { records(first: ${first}) { totalCount edges { node { displayName module { slug }
              createdBy { displayName } linked(reference: "account") { edges { node { displayName } } } } } } } }`,
        ).then((r) => {
          expect(r.body.errors).toBeUndefined();
          return r;
        }),
      );
      if (process.env.LOG_STATEMENTS)
        console.log(statements.map((q) => q.replace(/\s+/g, " ").slice(0, 300)).join("\n"));
      return statements.length;
    };
    const small = await count(5);
    const big = await count(100);
    expect(big).toBe(small);
    // Counted at the driver: authentication, modules, page, count, users and linked records,
    // plus the key's lastUsedAt bookkeeping; the same for 5 and for 100 records.
    expect(big).toBeLessThanOrEqual(5);
  });
});

/** The SQL statements sent through the pg driver while `fn` runs. */
async function captureStatements(fn: () => Promise<unknown>): Promise<string[]> {
  const pg = await import("pg");
  const proto = pg.default.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const statements: string[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [query] = args as [string | { text?: string }];
    // Behind a transaction pooler, the change feed's barrier after a write ("SELECT 1" on its
    // own direct listen session, src/db/change-feed.ts) is no statement of the page.
    if (query === "SELECT 1") return original.apply(this, args);
    statements.push(typeof query === "string" ? query : (query?.text ?? String(query)));
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return statements;
}

describe("mutations", () => {
  it("creates, updates (with expectedVersion), deletes, restores and purges a record", async () => {
    const created = ok(
      await gql(
        t.app,
        acme.key,
        `mutation($input: CreateRecordInput!) { createRecord(input: $input) { id recordId displayName version labelIds fields } }`,
        {
          input: {
            moduleSlug: "contacts",
            fields: { name: "Gina Graph", status: "lead" },
            labelIds: ["lbl_new"],
          },
        },
      ),
    ).createRecord;
    expect(created).toMatchObject({ displayName: "Gina Graph", version: 1, labelIds: ["lbl_new"] });
    const update = `mutation($input: UpdateRecordInput!) { updateRecord(input: $input) { version fields } }`;
    const updated = ok(
      await gql(t.app, acme.key, update, {
        input: { id: created.id, expectedVersion: 1, fields: { status: "active" } },
      }),
    );
    expect(updated.updateRecord).toMatchObject({
      version: 2,
      fields: { name: "Gina Graph", status: "active" },
    });
    const stale = await gql(t.app, acme.key, update, {
      input: { id: created.recordId, expectedVersion: 1, fields: { status: "lead" } },
    });
    expect(stale.body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const invalid = await gql(t.app, acme.key, update, {
      input: { id: created.id, fields: { email: "nope" } },
    });
    expect(invalid.body.errors?.[0]?.extensions).toMatchObject({
      code: "VALIDATION_ERROR",
      issues: [{ field: "email", message: "Invalid email format" }],
    });
    const deleted = ok(
      await gql(t.app, acme.key, `mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedAt } }`, {
        id: created.id,
      }),
    );
    expect(deleted.deleteRecord.deletedAt).toBeTruthy();
    const trash = ok(
      await gql(
        t.app,
        acme.key,
        `{ module(slug: "contacts") { records(trashed: ONLY) { totalCount edges { node { recordId } } } } }`,
      ),
    );
    expect(trash.module.records.edges.map((e: Json) => e.node.recordId)).toContain(created.recordId);
    const restored = ok(
      await gql(t.app, acme.key, `mutation($id: ID!) { restoreRecord(input: { id: $id }) { deletedAt } }`, {
        id: created.id,
      }),
    );
    expect(restored.restoreRecord.deletedAt).toBeNull();
    ok(
      await gql(t.app, acme.key, `mutation($id: ID!) { deleteRecord(input: { id: $id }) { id } }`, {
        id: created.id,
      }),
    );
    const purged = ok(
      await gql(
        t.app,
        acme.key,
        `mutation($id: ID!) { purgeRecord(input: { id: $id }) { purgedRecordId } }`,
        { id: created.id },
      ),
    );
    expect(purged.purgeRecord.purgedRecordId).toBe(created.recordId);
    const gone = await gql(
      t.app,
      acme.key,
      `mutation($id: ID!) { restoreRecord(input: { id: $id }) { id } }`,
      { id: created.id },
    );
    expect(gone.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const other = await gql(t.app, globex.key, update, {
      input: { id: created.id, fields: { status: "lead" } },
    });
    expect(other.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("bulk-updates, bulk-deletes, bulk-restores and empties the trash", async () => {
    const ids: string[] = [];
    for (const name of ["GB One", "GB Two"]) {
      ids.push(
        ok(
          await gql(
            t.app,
            acme.key,
            `mutation($i: CreateRecordInput!) { createRecord(input: $i) { recordId } }`,
            {
              i: { moduleSlug: "contacts", fields: { name } },
            },
          ),
        ).createRecord.recordId,
      );
    }
    const bulk = ok(
      await gql(
        t.app,
        acme.key,
        `mutation($i: BulkUpdateRecordsInput!) { bulkUpdateRecords(input: $i) { records { labelIds typeIds } } }`,
        {
          i: { moduleSlug: "contacts", recordIds: ids, addLabelIds: ["lbl_a"], addTypeIds: ["type_b"] },
        },
      ),
    );
    expect(bulk.bulkUpdateRecords.records).toEqual([
      { labelIds: ["lbl_a"], typeIds: ["type_b"] },
      { labelIds: ["lbl_a"], typeIds: ["type_b"] },
    ]);
    const del = ok(
      await gql(
        t.app,
        acme.key,
        `mutation($i: BulkDeleteRecordsInput!) { bulkDeleteRecords(input: $i) { deleted skipped } }`,
        {
          i: { moduleSlug: "contacts", recordIds: [...ids, "rec_nope"] },
        },
      ),
    );
    expect(del.bulkDeleteRecords).toEqual({ deleted: 2, skipped: 1 });
    const res = ok(
      await gql(
        t.app,
        acme.key,
        `mutation($i: BulkRestoreRecordsInput!) { bulkRestoreRecords(input: $i) { restored skipped } }`,
        {
          i: { moduleSlug: "contacts", recordIds: [ids[0]] },
        },
      ),
    );
    expect(res.bulkRestoreRecords).toEqual({ restored: 1, skipped: 0 });
    const empty = ok(
      await gql(t.app, acme.key, `mutation { emptyTrash(input: { moduleSlug: "contacts" }) { purged } }`),
    );
    expect(empty.emptyTrash.purged).toBeGreaterThanOrEqual(1);
  });

  it("sets a record's reference targets", async () => {
    const api = rest(t.app, acme.key);
    const deal = (await api.get("/v1/modules/deals/records?search=pilot")).body.records[0].id;
    const bob = (await api.get("/v1/modules/contacts/records?search=bob")).body.records[0].id;
    const set = ok(
      await gql(
        t.app,
        acme.key,
        `mutation($i: SetRecordReferenceInput!) { setRecordReference(input: $i) { version linked(reference: "related_contacts") { edges { node { displayName } } } } }`,
        {
          i: { id: deal, reference: "related_contacts", targetIds: [bob] },
        },
      ),
    );
    expect(set.setRecordReference.linked.edges).toEqual([{ node: { displayName: "Bob Wilson" } }]);
    const bad = await gql(
      t.app,
      acme.key,
      `mutation($i: SetRecordReferenceInput!) { setRecordReference(input: $i) { version } }`,
      {
        i: { id: deal, reference: "account", targetIds: [bob] },
      },
    );
    expect(bad.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
  });

  it("creates, updates and deletes modules, validating their schemas", async () => {
    const create = `mutation($i: CreateModuleInput!) { createModule(input: $i) { slug name fields { slug type options } references { slug } } }`;
    const made = ok(
      await gql(t.app, acme.key, create, {
        i: {
          slug: "projects",
          name: "Projects",
          fields: [
            { slug: "title", label: "Title", type: "TEXT", required: true },
            { slug: "phase", label: "Phase", type: "SELECT", options: ["plan", "build"] },
            { slug: "client", label: "Client", type: "REFERENCE", targetModuleSlug: "accounts" },
          ],
        },
      }),
    );
    expect(made.createModule).toMatchObject({ slug: "projects", references: [{ slug: "client" }] });
    const dup = await gql(t.app, acme.key, create, { i: { slug: "projects", name: "Again", fields: [] } });
    expect(dup.body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const invalid = await gql(t.app, acme.key, create, {
      i: {
        slug: "bad",
        name: "Bad",
        fields: [
          { slug: "s", label: "S", type: "SELECT" },
          { slug: "r", label: "R", type: "REFERENCE", targetModuleSlug: "nope" },
        ],
      },
    });
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe("VALIDATION_ERROR");
    const updated = ok(
      await gql(
        t.app,
        acme.key,
        `mutation { updateModule(input: { slug: "projects", name: "Client projects" }) { name fields { slug } } }`,
      ),
    );
    expect(updated.updateModule).toEqual({
      name: "Client projects",
      fields: [{ slug: "title" }, { slug: "phase" }, { slug: "client" }],
    });
    expect((await rest(t.app, acme.key).get("/v1/modules/projects")).body.module.name).toBe(
      "Client projects",
    );
    const refused = await gql(
      t.app,
      acme.key,
      `mutation { deleteModule(input: { slug: "accounts" }) { slug } }`,
    );
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    ok(
      await gql(
        t.app,
        acme.key,
        `mutation { deleteModule(input: { slug: "projects" }) { slug deletedModuleId } }`,
      ),
    );
    expect((await rest(t.app, acme.key).get("/v1/modules/projects")).status).toBe(404);
  });
});
