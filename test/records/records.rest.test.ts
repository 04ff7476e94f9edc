// The Records API of seed 001 over REST: every endpoint, status and error body.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpiredRecords } from "../../src/records/records.service.js";
import { createKey, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg, type Json, qs, rest } from "./fixtures.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;
let api: ReturnType<typeof rest>;
const C = "/v1/modules/contacts/records";

beforeAll(async () => {
  t = await createTestApp();
  acme = await createRecordsOrg(t.prisma, "Acme");
  globex = await createRecordsOrg(t.prisma, "Globex");
  api = rest(t.app, acme.key);
});
afterAll(() => t.close());

const names = (body: Json) => (body.records as Json[]).map((r) => r.displayName);
const contactsCount = () =>
  t.prisma.moduleRecord.count({ where: { organizationId: acme.id, module: { slug: "contacts" } } });
async function contactId(name: string, org = api): Promise<string> {
  const { body } = await org.get(`${C}?${qs({ search: name })}`);
  return body.records[0].id;
}

describe("modules (extension)", () => {
  it("lists the organisation's modules and gets one with its schema", async () => {
    const list = await api.get("/v1/modules");
    expect(list.status).toBe(200);
    expect(list.body.modules.map((m: Json) => m.slug)).toEqual(["accounts", "contacts", "deals"]);
    const one = await api.get("/v1/modules/contacts");
    expect(one.status).toBe(200);
    expect(one.body.module.id).toMatch(/^mod_/);
    expect(one.body.module.fields.find((f: Json) => f.slug === "status")).toMatchObject({
      type: "select",
      options: ["lead", "active", "customer", "churned"],
    });
    expect(one.body.module.displayFields).toEqual(["name"]);
  });

  it("answers 404 not_found for an unknown module, in the seed's error shape", async () => {
    for (const url of ["/v1/modules/nope", "/v1/modules/nope/records", "/v1/modules/nope/references"]) {
      const res = await api.get(url);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        error: { code: "not_found", message: "Module nope not found", details: { module: "nope" } },
      });
    }
  });

  it("needs an API key (401) and the records scopes (403)", async () => {
    const res = await t.app.inject({ method: "GET", url: C });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("unauthorized");
    const other = rest(t.app, await createKey(t.prisma, acme, { scopes: ["users:read"] }));
    expect((await other.get(C)).status).toBe(403);
    const reader = rest(t.app, await createKey(t.prisma, acme, { scopes: ["records:read"] }));
    expect((await reader.get(C)).status).toBe(200);
    const denied = await reader.post(C, { fields: { name: "X" } });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("forbidden");
  });
});

describe("list records", () => {
  it("pages newest first with total, page and pageSize (default 25, max 100)", async () => {
    const all = await api.get(C);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 5, page: 1, pageSize: 25 });
    expect(names(all.body)).toEqual([
      "Carol Martinez",
      "Bob Wilson",
      "Alice Johnson",
      "Jane Doe",
      "John Smith",
    ]);
    const page2 = await api.get(`${C}?page=2&pageSize=2`);
    expect(page2.body).toMatchObject({ total: 5, page: 2, pageSize: 2 });
    expect(names(page2.body)).toEqual(["Alice Johnson", "Jane Doe"]);
    const beyond = await api.get(`${C}?page=9&pageSize=2`);
    expect(beyond.body).toMatchObject({ records: [], total: 5, page: 9 });
    const tooBig = await api.get(`${C}?pageSize=101`);
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.code).toBe("validation_error");
    expect(tooBig.body.error.details.fields[0].field).toBe("querystring.pageSize");
  });

  it("searches display names and text fields, every term must match", async () => {
    expect(names((await api.get(`${C}?search=acme`)).body).sort()).toEqual([
      "Alice Johnson",
      "Jane Doe",
      "John Smith",
    ]);
    expect(names((await api.get(`${C}?${qs({ search: "john smith" })}`)).body)).toEqual(["John Smith"]);
    expect((await api.get(`${C}?search=zzz`)).body.total).toBe(0);
  });

  it("sorts by any field slug or core field, and rejects unknown ones", async () => {
    expect(names((await api.get(`${C}?sortField=deal_value&sortDirection=desc`)).body)).toEqual([
      "John Smith",
      "Jane Doe",
      "Bob Wilson",
      "Alice Johnson",
      "Carol Martinez",
    ]);
    expect(names((await api.get(`${C}?sortField=name&sortDirection=asc`)).body)[0]).toBe("Alice Johnson");
    expect(names((await api.get(`${C}?sortField=created_at&sortDirection=asc`)).body)[0]).toBe("John Smith");
    const bad = await api.get(`${C}?sortField=nope`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('unknown field "nope"');
  });

  it("filters with filter[field] (comma = OR, several = AND), labelIds and typeIds", async () => {
    expect(names((await api.get(`${C}?filter[status]=active,lead`)).body).sort()).toEqual([
      "Alice Johnson",
      "Jane Doe",
      "John Smith",
    ]);
    expect(names((await api.get(`${C}?filter[status]=active&filter[priority]=high`)).body)).toEqual([
      "John Smith",
    ]);
    expect(names((await api.get(`${C}?filter[deal_value]=50000`)).body)).toEqual(["Bob Wilson"]);
    expect(names((await api.get(`${C}?labelIds=lbl_vip,lbl_other`)).body).sort()).toEqual([
      "Jane Doe",
      "John Smith",
    ]);
    expect(names((await api.get(`${C}?typeIds=type_lead`)).body)).toEqual(["Alice Johnson"]);
    const bad = await api.get(`${C}?filter[nope]=1`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields).toEqual([
      { field: "filter[nope]", message: 'unknown field "nope"' },
    ]);
    const nan = await api.get(`${C}?filter[deal_value]=lots`);
    expect(nan.status).toBe(400);
    expect(nan.body.error.message).toContain("needs a number");
  });

  it("applies the seed's nested advancedFilter", async () => {
    const filter = {
      root: {
        id: "g1",
        conjunction: "AND",
        conditions: [
          { id: "c1", fieldSlug: "status", operator: "eq", value: "active" },
          {
            id: "g2",
            conjunction: "OR",
            conditions: [
              { id: "c2", fieldSlug: "deal_value", operator: "gte", value: 100000 },
              { id: "c3", fieldSlug: "priority", operator: "eq", value: "high" },
            ],
          },
        ],
      },
    };
    const res = await api.get(`${C}?${qs({ advancedFilter: JSON.stringify(filter) })}`);
    expect(res.status).toBe(200);
    expect(names(res.body)).toEqual(["John Smith"]);
  });

  it("supports all 17 operators", async () => {
    const run = async (condition: Json) => {
      const res = await api.get(
        `${C}?${qs({ advancedFilter: JSON.stringify({ root: { conjunction: "AND", conditions: [condition] } }), sortField: "name" })}`,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return names(res.body);
    };
    const f = (fieldSlug: string, operator: string, extra: Json = {}) =>
      run({ fieldSlug, operator, ...extra });
    expect(await f("status", "eq", { value: "active" })).toEqual(["Jane Doe", "John Smith"]);
    expect(await f("status", "neq", { value: "active" })).toEqual([
      "Alice Johnson",
      "Bob Wilson",
      "Carol Martinez",
    ]);
    expect(await f("deal_value", "gt", { value: 50000 })).toEqual(["Jane Doe", "John Smith"]);
    expect(await f("deal_value", "gte", { value: 50000 })).toEqual(["Bob Wilson", "Jane Doe", "John Smith"]);
    expect(await f("deal_value", "lt", { value: 50000 })).toEqual(["Alice Johnson", "Carol Martinez"]);
    expect(await f("deal_value", "lte", { value: 20000 })).toEqual(["Alice Johnson", "Carol Martinez"]);
    expect(await f("email", "contains", { value: "@ACME." })).toEqual(["Jane Doe", "John Smith"]);
    expect(await f("email", "notContains", { value: "acme" })).toEqual([
      "Alice Johnson",
      "Bob Wilson",
      "Carol Martinez",
    ]);
    expect(await f("name", "startsWith", { value: "J" })).toEqual(["Jane Doe", "John Smith"]);
    expect(await f("email", "endsWith", { value: "globex.example" })).toEqual([
      "Bob Wilson",
      "Carol Martinez",
    ]);
    expect(await f("status", "in", { values: ["lead", "churned"] })).toEqual([
      "Alice Johnson",
      "Carol Martinez",
    ]);
    expect(await f("status", "notIn", { values: ["lead", "churned"] })).toEqual([
      "Bob Wilson",
      "Jane Doe",
      "John Smith",
    ]);
    expect(await f("notes", "isNull")).toHaveLength(5);
    expect(await f("tags", "isNotNull")).toEqual(["John Smith"]);
    expect(await f("deal_value", "between", { values: [20000, 75000] })).toEqual([
      "Alice Johnson",
      "Bob Wilson",
      "Jane Doe",
    ]);
    expect(await f("last_contacted", "before", { value: "2024-01-12" })).toEqual(["Jane Doe", "John Smith"]);
    expect(await f("last_contacted", "after", { value: "2024-01-12" })).toEqual([
      "Bob Wilson",
      "Carol Martinez",
    ]);
    expect(await f("created_at", "after", { value: "2024-01-01" })).toHaveLength(5);
    expect(await f("tags", "eq", { value: "vip" })).toEqual(["John Smith"]);
  });

  it("rejects a malformed advancedFilter, unknown fields and misfit operators with 400 naming the problem", async () => {
    const bad = async (advancedFilter: string) => {
      const res = await api.get(`${C}?${qs({ advancedFilter })}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("validation_error");
      return res.body.error;
    };
    expect((await bad("{not json")).details.fields).toEqual([
      { field: "advancedFilter", message: "is not valid JSON" },
    ]);
    expect((await bad(JSON.stringify({ root: { conjunction: "XOR", conditions: [] } }))).message).toContain(
      'advancedFilter.root.conjunction: must be "AND" or "OR"',
    );
    const wrap = (c: Json) => JSON.stringify({ root: { conjunction: "AND", conditions: [c] } });
    expect((await bad(wrap({ fieldSlug: "nope", operator: "eq", value: 1 }))).message).toContain(
      'unknown field "nope"',
    );
    expect((await bad(wrap({ fieldSlug: "status", operator: "gt", value: "a" }))).message).toContain(
      'operator "gt" does not apply to text field "status"',
    );
    expect((await bad(wrap({ fieldSlug: "status", operator: "like", value: "a" }))).message).toContain(
      "unknown operator",
    );
    expect((await bad(wrap({ fieldSlug: "deal_value", operator: "eq", value: "x" }))).message).toContain(
      "needs a number",
    );
    expect(
      (await bad(wrap({ fieldSlug: "deal_value", operator: "between", values: [1] }))).message,
    ).toContain("exactly two values");
    expect((await bad(wrap({ fieldSlug: "status", operator: "in" }))).message).toContain(
      'needs a "values" list',
    );
    expect((await bad(JSON.stringify([1, 2]))).message).toContain("must be a group");
  });

  it("selects fields but keeps the core fields", async () => {
    const res = await api.get(`${C}?fields=name,email,status&pageSize=1`);
    const record = res.body.records[0];
    expect(Object.keys(record.fields).sort()).toEqual(["email", "name", "status"]);
    expect(record).toMatchObject({ id: expect.stringMatching(/^rec_/), displayName: "Carol Martinez" });
    expect(record.createdDateTime).toBeTruthy();
    expect(record.updatedDateTime).toBeTruthy();
    expect((await api.get(`${C}?fields=name,nope`)).status).toBe(400);
  });
});

describe("get, create, update", () => {
  it("gets one record in the seed's shape with an ETag", async () => {
    const id = await contactId("John Smith");
    const res = await api.get(`${C}/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body.record).toMatchObject({
      id,
      moduleId: expect.stringMatching(/^mod_/),
      moduleSlug: "contacts",
      displayName: "John Smith",
      labelIds: ["lbl_vip"],
      typeIds: ["type_customer"],
      privacyLevel: "account",
      descriptionHtml: "<p>CEO at Acme Corporation.</p>",
      createdByUserId: `usr_${acme.ownerId}`,
      createdByDisplayName: "Acme Owner",
      updatedByUserId: `usr_${acme.ownerId}`,
      version: 1,
    });
    expect(res.body.record.fields).toMatchObject({ email: "john.smith@acme.example", deal_value: 150000 });
  });

  it("answers 404 for unknown, malformed and other organisations' record ids", async () => {
    const foreign = await contactId("John Smith", rest(t.app, globex.key));
    for (const id of ["rec_00000000-0000-0000-0000-000000000000", "rec_abc123", foreign]) {
      const res = await api.get(`${C}/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
      expect((await api.patch(`${C}/${id}`, { fields: { name: "Hijack" } })).status).toBe(404);
      expect((await api.delete(`${C}/${id}`)).status).toBe(404);
    }
    // The foreign record is untouched.
    const still = await rest(t.app, globex.key).get(`${C}/${foreign}`);
    expect(still.body.record.displayName).toBe("John Smith");
  });

  it("creates a record (201), generating the displayName from the display field", async () => {
    const res = await api.post(C, {
      fields: {
        name: "Dora Lee",
        email: "dora@tech.example",
        status: "lead",
        deal_value: 1200.5,
        tags: ["vip", "vip"],
      },
      labelIds: ["lbl_hot_lead"],
      typeIds: ["type_lead"],
      privacyLevel: "account",
    });
    expect(res.status).toBe(201);
    expect(res.body.record).toMatchObject({
      displayName: "Dora Lee",
      fields: {
        name: "Dora Lee",
        email: "dora@tech.example",
        status: "lead",
        deal_value: 1200.5,
        tags: ["vip"],
      },
      labelIds: ["lbl_hot_lead"],
      version: 1,
      createdByDisplayName: "Acme Owner",
    });
    const named = await api.post(C, { displayName: "Alice J.", fields: { name: "Alice Johnson II" } });
    expect(named.body.record.displayName).toBe("Alice J.");
    await api.delete(`${C}/${res.body.record.id}`);
    await api.delete(`${C}/${named.body.record.id}`);
  });

  it("rejects invalid field values with 400 and per-field details, creating nothing", async () => {
    const before = await contactsCount();
    const res = await api.post(C, {
      fields: { name: "X", email: "not-an-email", deal_value: "lots", nope: 1 },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: "validation_error",
        message: "Invalid field values",
        details: {
          fields: [
            { field: "email", message: "Invalid email format" },
            { field: "deal_value", message: "Must be a number" },
            { field: "nope", message: "Unknown field for module contacts" },
          ],
        },
      },
    });
    const missing = await api.post(C, { fields: { email: "a@b.example" } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toEqual({
      code: "validation_error",
      message: "The name field is required",
      details: {
        field: "name",
        constraint: "required",
        fields: [{ field: "name", message: "The name field is required" }],
      },
    });
    const options = await api.post(C, {
      fields: { name: "X", status: "weird", last_contacted: "2024-02-30" },
    });
    expect(options.body.error.details.fields.map((f: Json) => f.field)).toEqual(["status", "last_contacted"]);
    const badRef = await api.post(C, {
      fields: { name: "X", account: "rec_00000000-0000-0000-0000-000000000000" },
    });
    expect(badRef.status).toBe(400);
    expect(badRef.body.error.details.constraint).toBe("reference");
    const badBody = await api.post(C, { fields: { name: "X" }, privacyLevel: "public", extra: 1 });
    expect(badBody.status).toBe(400);
    const notJson = await t.app.inject({
      method: "POST",
      url: C,
      headers: { authorization: `Bearer ${acme.key}`, "content-type": "application/json" },
      payload: "{",
    });
    expect(notJson.statusCode).toBe(400);
    expect(await contactsCount()).toBe(before);
  });

  it("updates partially: fields merge, labelIds replace, version increments", async () => {
    const id = await contactId("Jane Doe");
    const res = await api.patch(`${C}/${id}`, {
      fields: { status: "customer", deal_value: 200000, last_contacted: "2024-01-16" },
      labelIds: ["lbl_vip", "lbl_enterprise"],
    });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body.record).toMatchObject({
      displayName: "Jane Doe",
      labelIds: ["lbl_vip", "lbl_enterprise"],
      typeIds: ["type_customer"],
      version: 2,
    });
    expect(res.body.record.fields).toMatchObject({
      email: "jane.doe@acme.example",
      status: "customer",
      deal_value: 200000,
      last_contacted: "2024-01-16",
    });
    // displayName follows the display field while it was generated.
    const renamed = await api.patch(`${C}/${id}`, { fields: { name: "Jane Doe-Smith", phone: null } });
    expect(renamed.body.record.displayName).toBe("Jane Doe-Smith");
    expect(renamed.body.record.fields.phone).toBeUndefined();
    const cleared = await api.patch(`${C}/${id}`, { fields: { name: null } });
    expect(cleared.status).toBe(400);
    expect(cleared.body.error.details).toMatchObject({ field: "name", constraint: "required" });
  });

  it("answers 409 conflict for a stale version or If-Match, changing nothing", async () => {
    const id = await contactId("Bob Wilson");
    const stale = await api.patch(`${C}/${id}`, { version: 7, fields: { status: "churned" } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({
      code: "conflict",
      details: { currentVersion: 1, expectedVersion: 7 },
    });
    const header = await api.patch(`${C}/${id}`, { fields: { status: "churned" } }, { "if-match": '"5"' });
    expect(header.status).toBe(409);
    const unchanged = await api.get(`${C}/${id}`);
    expect(unchanged.body.record).toMatchObject({ version: 1, fields: { status: "customer" } });
    const ok = await api.patch(`${C}/${id}`, { fields: { priority: "medium" } }, { "if-match": '"1"' });
    expect(ok.status).toBe(200);
    expect(
      (await api.patch(`${C}/${id}`, { version: 2, fields: { priority: "low" } })).body.record.version,
    ).toBe(3);
    expect((await api.patch(`${C}/${id}`, { fields: {} }, { "if-match": "garbage" })).status).toBe(400);
  });

  it("attributes changes to the X-Forwarded-User of keys allowed to act for users", async () => {
    const mike = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "mike@acme.example", displayName: "Mike Johnson" },
    });
    const id = await contactId("Carol Martinez");
    const res = await api.patch(
      `${C}/${id}`,
      { fields: { priority: "high" } },
      { "x-forwarded-user": "mike@acme.example" },
    );
    expect(res.body.record).toMatchObject({
      updatedByUserId: `usr_${mike.id}`,
      updatedByDisplayName: "Mike Johnson",
    });
    await api.patch(`${C}/${id}`, { fields: { priority: "low" } });
  });
});

describe("delete, trash and recovery", () => {
  it("soft-deletes, hides, lists in trash, restores and purges", async () => {
    await api.post(`${C}/empty-trash`);
    const created = await api.post(C, { fields: { name: "Temp One" } });
    const id = created.body.record.id;
    expect(await api.delete(`${C}/${id}`)).toMatchObject({ status: 200, body: { success: true } });
    expect((await api.get(`${C}/${id}`)).status).toBe(404);
    expect(names((await api.get(`${C}?search=temp`)).body)).toEqual([]);
    expect((await api.delete(`${C}/${id}`)).status).toBe(404);
    const trash = await api.get(`${C}/trash`);
    expect(trash.status).toBe(200);
    expect(trash.body).toMatchObject({ total: 1, page: 1, pageSize: 25 });
    expect(trash.body.records[0]).toMatchObject({ id, deletedDateTime: expect.any(String) });
    const restored = await api.post(`${C}/${id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.record.id).toBe(id);
    expect((await api.get(`${C}/${id}`)).status).toBe(200);
    expect((await api.post(`${C}/${id}/restore`)).status).toBe(404);
    // Purge only takes records in the trash.
    expect((await api.delete(`${C}/${id}/purge`)).status).toBe(404);
    await api.delete(`${C}/${id}`);
    expect(await api.delete(`${C}/${id}/purge`)).toMatchObject({ status: 200, body: { success: true } });
    expect((await api.post(`${C}/${id}/restore`)).status).toBe(404);
    expect(await t.prisma.moduleRecord.count({ where: { id: id.slice(4) } })).toBe(0);
  });

  it("bulk-deletes and bulk-restores with counts, and empties the trash", async () => {
    await api.post(`${C}/empty-trash`);
    const ids: string[] = [];
    for (const name of ["Bulk A", "Bulk B", "Bulk C"])
      ids.push((await api.post(C, { fields: { name } })).body.record.id);
    const del = await api.post(`${C}/bulk-delete`, { recordIds: [...ids.slice(0, 2), "rec_abc", ids[0]] });
    expect(del).toMatchObject({ status: 200, body: { deleted: 2, skipped: 1 } });
    const again = await api.post(`${C}/bulk-delete`, { recordIds: ids });
    expect(again.body).toEqual({ deleted: 1, skipped: 2 });
    const restore = await api.post(`${C}/bulk-restore`, { recordIds: [ids[0], "rec_nope"] });
    expect(restore.body).toEqual({ restored: 1, skipped: 1 });
    const empty = await api.post(`${C}/empty-trash`);
    expect(empty).toMatchObject({ status: 200, body: { success: true, purged: 2 } });
    expect((await api.get(`${C}/trash`)).body.total).toBe(0);
    await api.delete(`${C}/${ids[0]}`);
    await api.post(`${C}/empty-trash`);
    expect((await api.post(`${C}/bulk-delete`, { recordIds: [] })).status).toBe(400);
  });

  it("purges records trashed more than 30 days ago with the scheduled job's function", async () => {
    const old = (await api.post(C, { fields: { name: "Old trash" } })).body.record.id.slice(4);
    const recent = (await api.post(C, { fields: { name: "Recent trash" } })).body.record.id.slice(4);
    const now = new Date();
    await t.prisma.moduleRecord.update({
      where: { id: old },
      data: { deletedAt: new Date(now.getTime() - 31 * 86_400_000) },
    });
    await t.prisma.moduleRecord.update({
      where: { id: recent },
      data: { deletedAt: new Date(now.getTime() - 29 * 86_400_000) },
    });
    expect((await api.post(`${C}/rec_${old}/restore`)).status).toBe(404);
    expect(await purgeExpiredRecords(t.prisma, now)).toBe(1);
    expect(await t.prisma.moduleRecord.findUnique({ where: { id: old } })).toBeNull();
    expect(await t.prisma.moduleRecord.findUnique({ where: { id: recent } })).not.toBeNull();
    await api.post(`${C}/empty-trash`);
  });
});

describe("bulk update", () => {
  it("adds and removes labels and types on all records in one go", async () => {
    const john = await contactId("John Smith");
    const alice = await contactId("Alice Johnson");
    const res = await api.post(`${C}/bulk`, {
      recordIds: [john, alice],
      addLabelIds: ["lbl_reviewed"],
      removeLabelIds: ["lbl_vip"],
      addTypeIds: ["type_qualified"],
    });
    expect(res.status).toBe(200);
    expect(res.body.records.map((r: Json) => [r.id, r.labelIds, r.typeIds])).toEqual([
      [john, ["lbl_reviewed"], ["type_customer", "type_qualified"]],
      [alice, ["lbl_reviewed"], ["type_lead", "type_qualified"]],
    ]);
    await api.post(`${C}/bulk`, {
      recordIds: [john],
      addLabelIds: ["lbl_vip"],
      removeLabelIds: ["lbl_reviewed"],
    });
  });

  it("changes nothing when one id is unknown (404) or the list is too long (400)", async () => {
    const john = await contactId("John Smith");
    const res = await api.post(`${C}/bulk`, {
      recordIds: [john, "rec_00000000-0000-0000-0000-000000000001"],
      addLabelIds: ["x"],
    });
    expect(res.status).toBe(404);
    expect(res.body.error.details.recordIds).toEqual(["rec_00000000-0000-0000-0000-000000000001"]);
    expect((await api.get(`${C}/${john}`)).body.record.labelIds).toEqual(["lbl_vip"]);
    const tooMany = await api.post(`${C}/bulk`, {
      recordIds: Array.from({ length: 101 }, (_, i) => `rec_${i}`),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details.fields[0]).toEqual({
      field: "body.recordIds",
      message: "at most 100 ids",
    });
  });
});

describe("references", () => {
  it("lists a module's reference fields", async () => {
    const res = await api.get("/v1/modules/contacts/references");
    expect(res.body).toEqual({
      references: [
        {
          slug: "account",
          targetModuleSlug: "accounts",
          targetType: "module",
          relationshipType: "many_to_one",
        },
        { slug: "owner", targetType: "user", relationshipType: "many_to_one" },
      ],
    });
    expect((await api.get("/v1/modules/deals/references")).body.references[1]).toEqual({
      slug: "related_contacts",
      targetModuleSlug: "contacts",
      targetType: "module",
      relationshipType: "many_to_many",
    });
  });

  it("returns the linked record ids, for record and user references", async () => {
    const john = await contactId("John Smith");
    const res = await api.get(`/v1/modules/contacts/references/account/records/${john}`);
    expect(res.status).toBe(200);
    expect(res.body.records).toEqual([
      { id: res.body.recordIds[0], displayName: "Acme Corporation", moduleSlug: "accounts" },
    ]);
    const owner = await api.get(`/v1/modules/contacts/references/owner/records/${john}`);
    expect(owner.body.recordIds).toEqual([`usr_${acme.ownerId}`]);
    const deals = await api.get(`/v1/modules/deals/records?${qs({ search: "renewal" })}`);
    const related = await api.get(
      `/v1/modules/deals/references/related_contacts/records/${deals.body.records[0].id}`,
    );
    expect(related.body.records.map((r: Json) => r.displayName)).toEqual(["John Smith", "Jane Doe-Smith"]);
    expect((await api.get(`/v1/modules/contacts/references/nope/records/${john}`)).status).toBe(404);
    expect((await api.get("/v1/modules/contacts/references/account/records/rec_x")).status).toBe(404);
  });

  it("searches link targets with the picker: label and subtitle", async () => {
    const res = await api.get("/v1/modules/contacts/references/account/picker?search=acme&limit=10");
    expect(res.status).toBe(200);
    expect(res.body.records).toEqual([
      { id: expect.stringMatching(/^rec_/), label: "Acme Corporation", subtitle: "Technology - Enterprise" },
      { id: expect.stringMatching(/^rec_/), label: "Acme Startup Labs", subtitle: "Technology - Startup" },
    ]);
    expect(
      (await api.get("/v1/modules/contacts/references/account/picker?limit=1")).body.records,
    ).toHaveLength(1);
    expect((await api.get("/v1/modules/contacts/references/account/picker?limit=500")).status).toBe(400);
    const users = await api.get("/v1/modules/contacts/references/owner/picker?search=owner");
    expect(users.body.records).toEqual([
      { id: `usr_${acme.ownerId}`, label: "Acme Owner", subtitle: expect.any(String) },
    ]);
  });
});

describe("rules", () => {
  it("answers 422 record_limit_exceeded at the organisation's record limit, creating nothing", async () => {
    const used = await t.prisma.moduleRecord.count({ where: { organizationId: acme.id } });
    await t.prisma.organization.update({ where: { id: acme.id }, data: { recordLimit: used } });
    const res = await api.post(C, { fields: { name: "One too many" } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("record_limit_exceeded");
    expect(await t.prisma.moduleRecord.count({ where: { organizationId: acme.id } })).toBe(used);
    await t.prisma.organization.update({ where: { id: acme.id }, data: { recordLimit: null } });
  });

  it("admits exactly up to the record limit when creates race", async () => {
    const used = await t.prisma.moduleRecord.count({ where: { organizationId: acme.id } });
    await t.prisma.organization.update({ where: { id: acme.id }, data: { recordLimit: used + 3 } });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => api.post(C, { fields: { name: `Racer ${i}` } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 422, 422, 422, 422, 422]);
    expect(await t.prisma.moduleRecord.count({ where: { organizationId: acme.id } })).toBe(used + 3);
    await t.prisma.organization.update({ where: { id: acme.id }, data: { recordLimit: null } });
    const racers = results.filter((r) => r.status === 201).map((r) => r.body.record.id);
    await api.post(`${C}/bulk-delete`, { recordIds: racers });
  });

  it("enforces privacy levels for the requesting user", async () => {
    const member = await t.prisma.user.create({
      data: { organizationId: acme.id, email: "pat@acme.example", displayName: "Pat Member", role: "member" },
    });
    const patKey = await createKey(t.prisma, acme, { scopes: ["*"], userId: member.id });
    const pat = rest(t.app, patKey);
    const secret = (await api.post(C, { fields: { name: "Private Person" }, privacyLevel: "private" })).body
      .record.id;
    const team = (await api.post(C, { fields: { name: "Team Person" }, privacyLevel: "team" })).body.record
      .id;
    const assigned = (
      await api.post(C, {
        fields: { name: "Assigned Person", owner: `usr_${member.id}` },
        privacyLevel: "team",
      })
    ).body.record.id;
    expect((await pat.get(`${C}/${secret}`)).status).toBe(404);
    expect((await pat.get(`${C}/${team}`)).status).toBe(404);
    expect((await pat.get(`${C}/${assigned}`)).status).toBe(200);
    expect(names((await pat.get(`${C}?search=person`)).body)).toEqual(["Assigned Person"]);
    expect((await pat.patch(`${C}/${secret}`, { fields: { name: "x" } })).status).toBe(404);
    expect((await pat.post(`${C}/bulk-delete`, { recordIds: [secret, team] })).body).toEqual({
      deleted: 0,
      skipped: 2,
    });
    // Pat's own private record is Pat's alone; the owner (an admin) still sees team records.
    const mine = (await pat.post(C, { fields: { name: "Pat Private" }, privacyLevel: "private" })).body.record
      .id;
    expect((await pat.get(`${C}/${mine}`)).status).toBe(200);
    expect((await api.get(`${C}/${mine}`)).status).toBe(404);
    expect((await api.get(`${C}/${team}`)).status).toBe(200);
    await api.post(`${C}/bulk-delete`, { recordIds: [secret, team, assigned] });
    await pat.delete(`${C}/${mine}`);
  });
});
