// /v1/entities (seed 000): CRUD, the envelope, pagination (page and cursor), filters, sort,
// fields, per-type attribute validation and the surface's error body.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createKey, createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  globex = await createOrg(t.prisma, "Globex");
});
afterAll(() => t.close());

type EntityJson = {
  id: string;
  type: string;
  name: string;
  attributes: Record<string, unknown>;
  created_at: string;
  updated_at: string;
};

async function post(payload: unknown, key = acme.key) {
  return t.app.inject({
    method: "POST",
    url: "/v1/entities",
    headers: bearer(key),
    payload: payload as object,
  });
}
async function get(url: string, key = acme.key) {
  return t.app.inject({ method: "GET", url, headers: bearer(key) });
}
async function create(payload: Record<string, unknown>, key = acme.key): Promise<EntityJson> {
  const response = await post(payload, key);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data;
}
function expectError(
  response: { statusCode: number; json(): unknown; headers: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(response.statusCode).toBe(status);
  const body = response.json() as {
    error: { code: string; message: string; details: unknown[]; request_id: string };
  };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(Array.isArray(body.error.details)).toBe(true);
  expect(body.error.request_id).toBe(response.headers["x-request-id"]);
  return body.error;
}

describe("create, read, update, delete", () => {
  it("POST creates (201, Location, data envelope) and GET reads it back", async () => {
    const response = await post({
      type: "supplier",
      name: "Acme Chemicals",
      attributes: { country: "DE", qualification_status: "qualified" },
    });
    expect(response.statusCode).toBe(201);
    const { data } = response.json();
    expect(data).toMatchObject({
      type: "supplier",
      name: "Acme Chemicals",
      attributes: { country: "DE", qualification_status: "qualified" },
    });
    expect(data.id).toMatch(/^ent_[0-9a-f-]{36}$/);
    expect(response.headers.location).toBe(`/v1/entities/${data.id}`);
    expect(new Date(data.created_at).toISOString()).toBe(data.created_at);
    const read = await get(`/v1/entities/${data.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ data });
  });

  it("the seed's invalid country: 422 validation_error with attributes.country and request_id; nothing stored", async () => {
    const before = await t.prisma.entity.count();
    const response = await post({ type: "supplier", name: "Bad Country", attributes: { country: "XX" } });
    const error = expectError(response, 422, "validation_error");
    expect(error.message).toBe("The request body contains invalid data");
    expect(error.details).toEqual([
      { field: "attributes.country", message: "Must be a valid ISO 3166-1 alpha-2 country code" },
    ]);
    expect(await t.prisma.entity.count()).toBe(before);
  });

  it("other body problems are 422 with per-field details", async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: "No type" }, "type"],
      [{ type: "supplier", name: "  " }, "name"],
      [{ type: "Supplier!", name: "x" }, "type"],
      [
        { type: "supplier", name: "x", attributes: { qualification_status: "maybe" } },
        "attributes.qualification_status",
      ],
      [{ type: "supplier", name: "x", attributes: { "bad key": 1 } }, "attributes.bad key"],
      [{ type: "supplier", name: "x", extra: true }, "(body)"],
      [{ type: "site", name: "Plant" }, "attributes.country"],
      [[1, 2], "(body)"],
    ];
    for (const [payload, field] of cases) {
      const error = expectError(await post(payload), 422, "validation_error");
      expect(
        (error.details as Array<{ field: string }>).map((d) => d.field),
        JSON.stringify(payload),
      ).toContain(field);
    }
  });

  it("malformed JSON is 400 validation_error in the entities shape", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/v1/entities",
      headers: { ...bearer(acme.key), "content-type": "application/json" },
      payload: "{not json",
    });
    expectError(response, 400, "validation_error");
  });

  it("unknown types are accepted with free-form attributes", async () => {
    const entity = await create({ type: "widget", name: "Sprocket", attributes: { teeth: 12, tags: ["a"] } });
    expect(entity.attributes).toEqual({ teeth: 12, tags: ["a"] });
  });

  it("entities are not unique by name: a second one of the same type and name is another entity", async () => {
    const first = await create({ type: "customer", name: "Initech" });
    const second = await create({ type: "customer", name: "Initech" });
    expect(second.id).not.toBe(first.id);
    const list = await get("/v1/entities?type=customer&sort=name&per_page=100");
    expect(
      list
        .json()
        .data.filter((e: EntityJson) => e.name === "Initech")
        .map((e: EntityJson) => e.id)
        .sort(),
    ).toEqual([first.id, second.id].sort());
  });

  it("a concurrent request holding the same Idempotency-Key is the only 409; the key replays after", async () => {
    const body = { type: "supplier", name: "Keyed Supplier", attributes: { country: "DE" } };
    const send = () =>
      t.app.inject({
        method: "POST",
        url: "/v1/entities",
        headers: { ...bearer(acme.key), "idempotency-key": "entities-race-1" },
        payload: body,
      });
    const responses = await Promise.all([send(), send(), send(), send()]);
    const statuses = responses.map((r) => r.statusCode);
    expect(
      statuses.every((s) => s === 201 || s === 409),
      statuses.join(","),
    ).toBe(true);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    const ids = new Set(responses.filter((r) => r.statusCode === 201).map((r) => r.json().data.id));
    expect(ids.size).toBe(1);
    for (const conflict of responses.filter((r) => r.statusCode === 409)) {
      expectError(conflict, 409, "conflict");
    }
    const replay = await send();
    expect(replay.statusCode).toBe(201);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.json().data.id).toBe([...ids][0]);
    expect(
      (await get("/v1/entities?type=supplier&per_page=100"))
        .json()
        .data.filter((e: EntityJson) => e.name === "Keyed Supplier"),
    ).toHaveLength(1);
  });

  it("PATCH merges attributes (null removes one), re-validates and answers 200", async () => {
    const entity = await create({
      type: "supplier",
      name: "Patchable",
      attributes: { country: "FR", note: "x" },
    });
    const response = await t.app.inject({
      method: "PATCH",
      url: `/v1/entities/${entity.id}`,
      headers: bearer(acme.key),
      payload: { name: "Patched", attributes: { country: "IT", note: null, rating: 4 } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({
      id: entity.id,
      name: "Patched",
      attributes: { country: "IT", rating: 4 },
    });
    expect(response.json().data.attributes).not.toHaveProperty("note");

    const bad = await t.app.inject({
      method: "PATCH",
      url: `/v1/entities/${entity.id}`,
      headers: bearer(acme.key),
      payload: { attributes: { country: "Germany" } },
    });
    expect(expectError(bad, 422, "validation_error").details).toEqual([
      { field: "attributes.country", message: "Must be a valid ISO 3166-1 alpha-2 country code" },
    ]);
    const empty = await t.app.inject({
      method: "PATCH",
      url: `/v1/entities/${entity.id}`,
      headers: bearer(acme.key),
      payload: {},
    });
    expectError(empty, 422, "validation_error");
    expect((await get(`/v1/entities/${entity.id}`)).json().data.attributes).toEqual({
      country: "IT",
      rating: 4,
    });
  });

  it("PATCH may give an entity the type and name of another one", async () => {
    const taken = await create({ type: "customer", name: "Taken" });
    const other = await create({ type: "customer", name: "Free" });
    const response = await t.app.inject({
      method: "PATCH",
      url: `/v1/entities/${other.id}`,
      headers: bearer(acme.key),
      payload: { name: "Taken" },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().data).toMatchObject({ id: other.id, name: "Taken" });
    expect((await get(`/v1/entities/${taken.id}`)).json().data.name).toBe("Taken");
  });

  it("DELETE answers 204 with no body; then GET, PATCH and DELETE are 404", async () => {
    const entity = await create({ type: "widget", name: "Doomed" });
    const response = await t.app.inject({
      method: "DELETE",
      url: `/v1/entities/${entity.id}`,
      headers: bearer(acme.key),
    });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe("");
    expectError(await get(`/v1/entities/${entity.id}`), 404, "not_found");
    const again = await t.app.inject({
      method: "DELETE",
      url: `/v1/entities/${entity.id}`,
      headers: bearer(acme.key),
    });
    expectError(again, 404, "not_found");
    const patch = await t.app.inject({
      method: "PATCH",
      url: `/v1/entities/${entity.id}`,
      headers: bearer(acme.key),
      payload: { name: "x" },
    });
    expectError(patch, 404, "not_found");
  });

  it("malformed ids are 404", async () => {
    for (const id of ["nope", "ent_123", "00000000-0000-0000-0000-000000000000"]) {
      expectError(await get(`/v1/entities/${id}`), 404, "not_found");
    }
  });
});

describe("tenancy, authentication and scopes", () => {
  it("another organisation's entity is 404 for read, update and delete, and stays unchanged", async () => {
    const foreign = await create(
      { type: "supplier", name: "Globex Supply", attributes: { country: "US" } },
      globex.key,
    );
    expectError(await get(`/v1/entities/${foreign.id}`), 404, "not_found");
    const patch = await t.app.inject({
      method: "PATCH",
      url: `/v1/entities/${foreign.id}`,
      headers: bearer(acme.key),
      payload: { name: "Mine" },
    });
    expectError(patch, 404, "not_found");
    const del = await t.app.inject({
      method: "DELETE",
      url: `/v1/entities/${foreign.id}`,
      headers: bearer(acme.key),
    });
    expectError(del, 404, "not_found");
    expect((await get(`/v1/entities/${foreign.id}`, globex.key)).json().data.name).toBe("Globex Supply");
    const list = (await get("/v1/entities?per_page=100")).json();
    expect(list.data.map((e: EntityJson) => e.id)).not.toContain(foreign.id);
  });

  it("no key is 401 unauthorized; a bad key too", async () => {
    expectError(await t.app.inject({ method: "GET", url: "/v1/entities" }), 401, "unauthorized");
    expectError(await get("/v1/entities", "gwk_wrong"), 401, "unauthorized");
  });

  it("entities:read may read but not write (403 forbidden); entities:write may write", async () => {
    const reader = await createKey(t.prisma, acme, { scopes: ["entities:read"] });
    expect((await get("/v1/entities", reader)).statusCode).toBe(200);
    expectError(await post({ type: "widget", name: "Nope" }, reader), 403, "forbidden");
    const none = await createKey(t.prisma, acme, { scopes: ["records:read"] });
    expectError(await get("/v1/entities", none), 403, "forbidden");
    const writer = await createKey(t.prisma, acme, { scopes: ["entities:write"] });
    expect((await post({ type: "widget", name: "By writer" }, writer)).statusCode).toBe(201);
  });
});

describe("lists", () => {
  let org: TestOrg;
  const names = ["alpha", "bravo", "charlie", "delta", "echo"];

  beforeAll(async () => {
    org = await createOrg(t.prisma, "Lists");
    const countries = ["DE", "FR", "DE", "US", "DE"];
    for (const [i, name] of names.entries()) {
      await create(
        {
          type: i < 3 ? "supplier" : "customer",
          name,
          attributes: { country: countries[i], score: 10 - i * 3 },
        },
        org.key,
      );
    }
    // Spread creation times so date filters have something to cut.
    for (const [i, name] of names.entries()) {
      await t.prisma.entity.updateMany({
        where: { organizationId: org.id, name },
        data: { createdAt: new Date(Date.UTC(2024, 0, 10 + i * 10)) },
      });
    }
  });

  const list = async (query: string) => {
    const response = await get(`/v1/entities${query}`, org.key);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as {
      data: EntityJson[];
      meta: {
        total: number;
        page: number | null;
        per_page: number;
        total_pages: number;
        next_cursor: string | null;
      };
      links: { self: string; next: string | null; last: string | null };
    };
  };

  it("the envelope: data, meta (total, page, per_page, total_pages) and links (self, next, last)", async () => {
    const body = await list("?page=1&per_page=2");
    expect(body.data.map((e) => e.name)).toEqual(["alpha", "bravo"]);
    expect(body.meta).toMatchObject({ total: 5, page: 1, per_page: 2, total_pages: 3 });
    expect(body.links).toEqual({
      self: "/v1/entities?page=1&per_page=2",
      next: "/v1/entities?page=2&per_page=2",
      last: "/v1/entities?page=3&per_page=2",
    });
    const last = await list("?page=3&per_page=2");
    expect(last.data.map((e) => e.name)).toEqual(["echo"]);
    expect(last.links.next).toBeNull();
    expect(last.meta.next_cursor).toBeNull();
  });

  it("defaults: page 1, per_page 25", async () => {
    const body = await list("");
    expect(body.meta).toMatchObject({ total: 5, page: 1, per_page: 25, total_pages: 1 });
    expect(body.links.self).toBe("/v1/entities?page=1");
  });

  it("per_page above 100, page 0 and non-numbers are 400 validation_error", async () => {
    for (const query of ["?per_page=101", "?page=0", "?per_page=abc", "?page=1&cursor=x"]) {
      expectError(await get(`/v1/entities${query}`, org.key), 400, "validation_error");
    }
  });

  it("cursor pagination walks every row once; links.next carries the cursor", async () => {
    const first = await list("?per_page=2&sort=-name");
    expect(first.data.map((e) => e.name)).toEqual(["echo", "delta"]);
    const cursor = first.meta.next_cursor;
    expect(cursor).toBeTruthy();
    const second = await list(`?per_page=2&sort=-name&cursor=${cursor}`);
    expect(second.data.map((e) => e.name)).toEqual(["charlie", "bravo"]);
    expect(second.meta.page).toBeNull();
    expect(second.links.last).toBeNull();
    expect(second.links.next).toBe(`/v1/entities?per_page=2&sort=-name&cursor=${second.meta.next_cursor}`);
    const third = await t.app.inject({
      method: "GET",
      url: second.links.next as string,
      headers: bearer(org.key),
    });
    expect(third.json().data.map((e: EntityJson) => e.name)).toEqual(["alpha"]);
    expect(third.json().links.next).toBeNull();
  });

  it("cursors over an attribute sort and a date sort", async () => {
    const seen: string[] = [];
    let url: string | null = "/v1/entities?per_page=2&sort=attributes.country,-created_at";
    while (url) {
      const page: { data: EntityJson[]; links: { next: string | null } } = (await get(url, org.key)).json();
      seen.push(...page.data.map((e) => e.name));
      url = page.links.next;
    }
    expect(seen).toEqual(["echo", "charlie", "alpha", "bravo", "delta"]);
  });

  it("a cursor of another sort, or a forged one, is 400", async () => {
    const first = await list("?per_page=2&sort=name");
    const error = expectError(
      await get(`/v1/entities?sort=-name&cursor=${first.meta.next_cursor}`, org.key),
      400,
      "validation_error",
    );
    expect(error.details).toEqual([{ field: "cursor", message: expect.any(String) }]);
    expectError(await get("/v1/entities?cursor=garbage", org.key), 400, "validation_error");
    const forged = Buffer.from(
      JSON.stringify({ s: "created_at,id", v: ["x'; drop table entities", "1"] }),
    ).toString("base64url");
    expectError(await get(`/v1/entities?cursor=${forged}`, org.key), 400, "validation_error");
  });

  it("filters: type, created_after/created_before, attributes.<key>", async () => {
    expect((await list("?type=supplier")).data.map((e) => e.name)).toEqual(["alpha", "bravo", "charlie"]);
    expect(
      (await list("?created_after=2024-01-15&created_before=2024-02-15")).data.map((e) => e.name),
    ).toEqual(["bravo", "charlie", "delta"]);
    expect((await list("?created_after=2024-01-20T00:00:00Z")).data.map((e) => e.name)).toEqual([
      "charlie",
      "delta",
      "echo",
    ]);
    expect((await list("?type=supplier&attributes.country=DE")).data.map((e) => e.name)).toEqual([
      "alpha",
      "charlie",
    ]);
    expect((await list("?attributes.score=4")).data.map((e) => e.name)).toEqual(["charlie"]);
    const injected = await list(`?attributes.country=${encodeURIComponent("DE' OR '1'='1")}`);
    expect(injected.meta.total).toBe(0);
  });

  it("bad filters are 400: dates, attribute keys, unknown parameters", async () => {
    for (const query of [
      "?created_after=yesterday",
      "?created_before=2024-13-45",
      `?${encodeURIComponent("attributes.bad key")}=1`,
      "?attributes.country=DE&attributes.country=FR",
      "?colour=red",
      "?type=Not A Type",
    ]) {
      expectError(await get(`/v1/entities${query}`, org.key), 400, "validation_error");
    }
  });

  it("sort: comma list, - for descending, core fields and attributes.<key> (numbers compare as numbers)", async () => {
    expect((await list("?sort=-created_at")).data.map((e) => e.name)).toEqual([
      "echo",
      "delta",
      "charlie",
      "bravo",
      "alpha",
    ]);
    expect((await list("?sort=type,-name")).data.map((e) => e.name)).toEqual([
      "echo",
      "delta",
      "charlie",
      "bravo",
      "alpha",
    ]);
    expect((await list("?sort=attributes.score")).data.map((e) => e.name)).toEqual([
      "echo",
      "delta",
      "charlie",
      "bravo",
      "alpha",
    ]);
    expect((await list("?sort=-attributes.country,name")).data.map((e) => e.name)).toEqual([
      "delta",
      "bravo",
      "alpha",
      "charlie",
      "echo",
    ]);
  });

  it("unknown or repeated sort fields are 400 validation_error on sort", async () => {
    for (const sort of ["colour", "name,name", "attributes.bad-key", "-", "name;drop"]) {
      const error = expectError(
        await get(`/v1/entities?sort=${encodeURIComponent(sort)}`, org.key),
        400,
        "validation_error",
      );
      expect((error.details as Array<{ field: string }>)[0]?.field).toBe("sort");
    }
  });

  it("fields selects the keys of each item, on lists and single reads; unknown fields are 400", async () => {
    const body = await list("?fields=id,name,type&per_page=1");
    expect(Object.keys(body.data[0] ?? {}).sort()).toEqual(["id", "name", "type"]);
    const one = await get(`/v1/entities/${body.data[0]?.id}?fields=name`, org.key);
    expect(one.json()).toEqual({ data: { name: "alpha" } });
    expectError(await get("/v1/entities?fields=id,secret", org.key), 400, "validation_error");
  });
});

describe("robustness", () => {
  it("any sort, filter key or value answers 200 or 400, never 500 (fast-check)", async () => {
    const fc = await import("fast-check");
    const token = fc.oneof(
      fc.constantFrom(
        "name",
        "-name",
        "created_at",
        "-updated_at",
        "type",
        "id",
        "attributes.country",
        "-attributes.score",
      ),
      fc.string({ maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(token, { minLength: 1, maxLength: 3 }),
        fc.string({ maxLength: 10 }),
        fc.string({ maxLength: 20 }),
        async (sortParts, key, value) => {
          const query = new URLSearchParams({ sort: sortParts.join(","), [`attributes.${key}`]: value });
          const response = await get(`/v1/entities?${query}`);
          expect([200, 400]).toContain(response.statusCode);
          if (response.statusCode === 400) expect(response.json().error.code).toBe("validation_error");
        },
      ),
      { numRuns: 40 },
    );
  });

  it("the routes are documented in /openapi.json", async () => {
    const spec = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        "/v1/entities",
        "/v1/entities/{id}",
        "/v1/projects",
        "/v1/projects/{id}",
        "/v1/projects/{id}/members",
        "/v1/projects/{id}/members/{user_id}",
      ]),
    );
    expect(Object.keys(spec.paths["/v1/entities/{id}"])).toEqual(
      expect.arrayContaining(["get", "patch", "delete"]),
    );
  });
});
