import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrg, createTestApp, decodeGlobalId, gql, type TestApp, type TestOrg } from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
});
afterAll(() => t.close());

describe("viewer", () => {
  it("returns the key's organisation, user and scopes", async () => {
    const { status, body } = await gql<{
      viewer: { organization: { id: string; name: string }; user: { displayName: string }; scopes: string[] };
    }>(t.app, acme.key, "{ viewer { organization { id name } user { id displayName } scopes } }");
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.viewer.organization.name).toBe("Acme");
    expect(decodeGlobalId(body.data!.viewer.organization.id)).toEqual({ type: "Organization", id: acme.id });
    expect(body.data?.viewer.user.displayName).toBe("Acme Owner");
    expect(body.data?.viewer.scopes).toEqual(["*"]);
  });
});
