// Absolute URLs in SCIM documents come from PUBLIC_URL when it is set, whatever Host a client
// sends; without it, from the request's own host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";
import { BASE, scimClient, USER } from "./helpers.js";

let t: TestApp;
let org: TestOrg;

beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: "https://gateway.example.com/" });
  org = await createOrg(t.prisma);
});
afterAll(() => t.close());

describe("PUBLIC_URL", () => {
  it("is the base of Location, meta.location and $ref, whatever Host the client sends", async () => {
    const scim = scimClient(t.app, org.key);
    const base = `https://gateway.example.com${BASE}`;
    const created = await scim.call(
      "POST",
      "/Users",
      { schemas: [USER], userName: "pat@example.com" },
      {
        host: "evil.example",
      },
    );
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`${base}/Users/${created.body.id}`);
    expect(created.body.meta.location).toBe(`${base}/Users/${created.body.id}`);
    const group = await scim.call(
      "POST",
      "/Groups",
      {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        displayName: "g",
        members: [{ value: created.body.id }],
      },
      { host: "evil.example" },
    );
    expect(group.body.members[0].$ref).toBe(`${base}/Users/${created.body.id}`);
    const config = await scim.call("GET", "/ServiceProviderConfig", undefined, { host: "evil.example" });
    expect(JSON.stringify(config.body)).not.toContain("evil.example");
  });

  it("must be an http(s) URL", () => {
    expect(() => loadConfig({ PUBLIC_URL: "ftp://x.example" })).toThrow(/PUBLIC_URL: must be an http/);
    expect(() => loadConfig({ PUBLIC_URL: "not a url" })).toThrow(/PUBLIC_URL/);
    expect(loadConfig({ PUBLIC_URL: "https://a.example/gw/" }).publicUrl).toBe("https://a.example/gw");
  });
});
