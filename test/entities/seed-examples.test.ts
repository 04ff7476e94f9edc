// Seed 000's own examples, sent as printed, twice each, to the demo organisation (which already
// holds a supplier "Acme Chemicals"): entities are identified by id, not by name, and a repeated
// POST is deduplicated only by its Idempotency-Key.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/demo.seed.js";
import { createTestApp, type Json, type TestApp } from "../helpers/app.js";

const KEY = "seed-000-examples-key-0123456789";
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  await seedDemo(t.prisma, KEY);
}, 120_000);
afterAll(() => t.close());

// "All API requests must include: Content-Type: application/json, Authorization: Bearer YOUR_API_KEY"
const headers = { "content-type": "application/json", authorization: `Bearer ${KEY}` };

describe("seed 000's examples on the demo organisation", () => {
  it("the request body example creates a new entity each time it is sent", async () => {
    const body = `{
"type": "supplier",
"name": "Acme Chemicals",
"attributes": {
"country": "DE",
"qualification_status": "qualified"
}
}`;
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const response = await t.app.inject({ method: "POST", url: "/v1/entities", headers, payload: body });
      expect(response.statusCode, response.body).toBe(201);
      const data = response.json().data;
      expect(data).toMatchObject({
        type: "supplier",
        name: "Acme Chemicals",
        attributes: { country: "DE", qualification_status: "qualified" },
      });
      ids.push(data.id);
    }
    expect(new Set(ids).size).toBe(2);
    const list = await t.app.inject({
      method: "GET",
      url: "/v1/entities?type=supplier&per_page=100",
      headers,
    });
    const named = list.json().data.filter((e: Json) => e.name === "Acme Chemicals");
    // the demo's own supplier and the two just created
    expect(named).toHaveLength(3);
  });

  it("the Idempotency-Key example creates once and replays the second time", async () => {
    const send = () =>
      t.app.inject({
        method: "POST",
        url: "/v1/entities",
        headers: { ...headers, "idempotency-key": "unique-request-id-123" },
        payload: '{"type": "supplier", "name": "Acme"}',
      });
    const first = await send();
    expect(first.statusCode, first.body).toBe(201);
    const second = await send();
    expect(second.statusCode, second.body).toBe(201);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.json()).toEqual(first.json());
  });
});
