// Provisioning as Okta and Microsoft Entra ID do it, request by request, with the bodies their
// SCIM 2.0 clients send (including their quirks), so either can provision unmodified.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createKey, createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";
import {
  ENTERPRISE,
  expectScimError,
  GROUP,
  PATCH_OP,
  type ScimClient,
  scimClient,
  USER,
} from "./helpers.js";

let t: TestApp;
let acme: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
});
afterAll(() => t.close());

/** Sends what the IdP sends: a raw query string and a JSON body, as `application/scim+json`. */
async function send(
  c: ScimClient,
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
) {
  return c.call(method, path, body);
}

describe("Okta", () => {
  it("provisions, updates, deactivates and finds a user, then pushes a group", async () => {
    const okta = scimClient(t.app, await createKey(t.prisma, acme, { scopes: ["scim"] }));
    const lookup = await send(
      okta,
      "GET",
      "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100",
    );
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ totalResults: 0, Resources: [] });

    const created = await send(okta, "POST", "/Users", {
      schemas: [USER],
      userName: "test.user@okta.local",
      name: { givenName: "Test", familyName: "User" },
      emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
      displayName: "Test User",
      locale: "en-US",
      externalId: "00ujl29u0le5T6Aj10h7",
      groups: [],
      password: "1mz050nq",
      active: true,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;

    const fetched = await send(okta, "GET", `/Users/${id}`);
    expect(fetched.body).toMatchObject({
      userName: "test.user@okta.local",
      externalId: "00ujl29u0le5T6Aj10h7",
    });

    const put = await send(okta, "PUT", `/Users/${id}`, {
      schemas: [USER],
      id,
      userName: "test.user@okta.local",
      name: { givenName: "Another", familyName: "User" },
      emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
      displayName: "Another User",
      locale: "en-US",
      externalId: "00ujl29u0le5T6Aj10h7",
      groups: [],
      active: true,
      meta: fetched.body.meta,
    });
    expect(put.status).toBe(200);
    expect(put.body.name).toMatchObject({ givenName: "Another" });

    const deactivated = await send(okta, "PATCH", `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", value: { active: false } }],
    });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);

    const found = await send(
      okta,
      "GET",
      "/Users?filter=userName%20eq%20%22Test.User%40OKTA.local%22&startIndex=1&count=100",
    );
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, active: false }] });

    const reactivated = await send(okta, "PATCH", `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", value: { active: true } }],
    });
    expect(reactivated.body.active).toBe(true);

    // Group push
    const noGroup = await send(
      okta,
      "GET",
      "/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100",
    );
    expect(noGroup.body.totalResults).toBe(0);
    const group = await send(okta, "POST", "/Groups", {
      schemas: [GROUP],
      displayName: "Test SCIMv2",
      members: [],
    });
    expect(group.status).toBe(201);
    const groupId = group.body.id;
    const renamed = await send(okta, "PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", value: { id: groupId, displayName: "Test SCIMv2 updated" } }],
    });
    expect(renamed.body.displayName).toBe("Test SCIMv2 updated");
    const added = await send(okta, "PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "add", path: "members", value: [{ value: id, display: "test.user@okta.local" }] }],
    });
    expect(added.body.members).toEqual([expect.objectContaining({ value: id, display: "Another User" })]);
    expect((await send(okta, "GET", `/Users/${id}`)).body.groups).toEqual([
      expect.objectContaining({ value: groupId, display: "Test SCIMv2 updated" }),
    ]);
    const removed = await send(okta, "PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "remove", path: `members[value eq "${id}"]` }],
    });
    expect(removed.body.members).toEqual([]);
    const listed = await send(okta, "GET", "/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%20updated%22");
    expect(listed.body.totalResults).toBe(1);
    expect((await send(okta, "DELETE", `/Groups/${groupId}`)).status).toBe(200);
  });
});

describe("Microsoft Entra ID", () => {
  it("provisions a user with the enterprise extension, patches it Entra's way, and deletes it", async () => {
    const entra = scimClient(t.app, await createKey(t.prisma, acme, { scopes: ["scim"] }));
    const userName = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com";
    const lookup = await send(
      entra,
      "GET",
      `/Users?filter=userName+eq+%22${encodeURIComponent(userName)}%22`,
    );
    expect(lookup.body.totalResults).toBe(0);

    const manager = await send(entra, "POST", "/Users", {
      schemas: [USER],
      userName: "boss@testuser.com",
      active: true,
      emails: [{ primary: true, type: "work", value: "boss@testuser.com" }],
      name: { formatted: "Big Boss", familyName: "Boss", givenName: "Big" },
    });
    expect(manager.status).toBe(201);

    const created = await send(entra, "POST", "/Users", {
      schemas: [USER, ENTERPRISE],
      externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
      userName,
      active: true,
      emails: [
        { primary: true, type: "work", value: "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com" },
      ],
      meta: { resourceType: "User" },
      name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
      roles: [],
      title: "Engineer",
      phoneNumbers: [{ type: "work", value: "+1 555 0100" }],
      addresses: [{ type: "work", formatted: "1 Main St", primary: true }],
      [ENTERPRISE]: { employeeNumber: "E-1", department: "R&D", manager: { value: manager.body.id } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({
      userName,
      displayName: "givenName familyName",
      emails: [{ value: "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com", primary: true }],
      [ENTERPRISE]: { employeeNumber: "E-1", department: "R&D", manager: { value: manager.body.id } },
    });

    const byExternalId = await send(
      entra,
      "GET",
      "/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22",
    );
    expect(byExternalId.body.Resources.map((u: { id: string }) => u.id)).toEqual([id]);

    const patched = await send(entra, "PATCH", `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: "Replace", path: 'emails[type eq "work"].value', value: "updatedEmail@microsoft.com" },
        { op: "Replace", path: "name.familyName", value: "updatedFamilyName" },
        { op: "Add", path: "displayName", value: "Updated Display" },
        { op: "Add", path: `${ENTERPRISE}:manager`, value: manager.body.id },
        { op: "Replace", path: `${ENTERPRISE}:department`, value: "Sales" },
        { op: "Add", path: 'phoneNumbers[type eq "mobile"].value', value: "+1 555 0199" },
        { op: "Replace", path: "active", value: "False" },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      active: false,
      displayName: "Updated Display",
      emails: [{ value: "updatedemail@microsoft.com", type: "work", primary: true }],
      name: { givenName: "givenName", familyName: "updatedFamilyName" },
      [ENTERPRISE]: { employeeNumber: "E-1", department: "Sales", manager: { value: manager.body.id } },
    });

    const byUserName = await send(
      entra,
      "GET",
      `/Users?filter=userName+eq+%22${encodeURIComponent(userName.toLowerCase())}%22`,
    );
    expect(byUserName.body).toMatchObject({ totalResults: 1, Resources: [{ id, active: false }] });

    expect((await send(entra, "DELETE", `/Users/${id}`)).status).toBe(200);
    expectScimError(await send(entra, "GET", `/Users/${id}`), 404);
  });

  it("provisions a group and manages its members the way Entra ID checks and changes them", async () => {
    const entra = scimClient(t.app, await createKey(t.prisma, acme, { scopes: ["scim"] }));
    const member = await send(entra, "POST", "/Users", {
      schemas: [USER],
      userName: "member@testuser.com",
      active: true,
      emails: [{ primary: true, type: "work", value: "member@testuser.com" }],
    });
    const userId = member.body.id;
    const none = await send(
      entra,
      "GET",
      "/Groups?excludedAttributes=members&filter=displayName+eq+%22Entra%20Group%22",
    );
    expect(none.body.totalResults).toBe(0);
    const created = await send(entra, "POST", "/Groups", {
      schemas: [GROUP],
      externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
      displayName: "Entra Group",
      meta: { resourceType: "Group" },
    });
    expect(created.status).toBe(201);
    const groupId = created.body.id;

    const fetched = await send(entra, "GET", `/Groups/${groupId}?excludedAttributes=members`);
    expect(fetched.body).not.toHaveProperty("members");

    const added = await send(entra, "PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Add", path: "members", value: [{ value: userId }] }],
    });
    expect(added.status).toBe(200);
    const check = `/Groups?excludedAttributes=members&filter=id+eq+%22${groupId}%22+and+members%5Bvalue+eq+%22${userId}%22%5D`;
    expect((await send(entra, "GET", check)).body.totalResults).toBe(1);

    const renamed = await send(entra, "PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Replace", path: "displayName", value: "Entra Group updated" }],
    });
    expect(renamed.body.displayName).toBe("Entra Group updated");

    const removed = await send(entra, "PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Remove", path: "members", value: [{ value: userId }] }],
    });
    expect(removed.status).toBe(200);
    expect((await send(entra, "GET", check)).body.totalResults).toBe(0);

    expect((await send(entra, "DELETE", `/Groups/${groupId}`)).status).toBe(200);
  });

  it("keeps a deactivated user out: its API key is refused", async () => {
    const entra = scimClient(t.app, await createKey(t.prisma, acme, { scopes: ["scim"] }));
    const created = await send(entra, "POST", "/Users", {
      schemas: [USER],
      userName: "keyed@testuser.com",
      emails: [{ primary: true, type: "work", value: "keyed@testuser.com" }],
    });
    const key = await createKey(t.prisma, acme, { scopes: ["users:read"], userId: created.body.id });
    await send(entra, "PATCH", `/Users/${created.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Replace", path: "active", value: "False" }],
    });
    const refused = await t.app.inject({ method: "GET", url: "/v1/users", headers: bearer(key) });
    expect(refused.statusCode).toBe(401);
  });
});
