// Query.users pages both ways (Relay cursor connections): first/after forward, last/before
// backward, edges always in creation order, with the external id filter.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrg, createTestApp, gql, type TestApp, type TestOrg } from "../helpers/app.js";

let t: TestApp;
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t.prisma, "Paging");
  other = await createOrg(t.prisma, "Elsewhere");
  const base = Date.parse("2026-01-01T00:00:00Z");
  await t.prisma.user.createMany({
    data: Array.from({ length: 7 }, (_, i) => ({
      organizationId: org.id,
      email: `u${i}@paging.example`,
      displayName: `User ${i}`,
      externalId: `ext-${i}`,
      // after the owner, one second apart: creation order is u0..u6
      createdAt: new Date(base + 86_400_000 * 365 + i * 1000),
    })),
  });
});
afterAll(() => t.close());

const PAGE = `query ($first: Int, $after: String, $last: Int, $before: String, $externalId: String) {
  users(first: $first, after: $after, last: $last, before: $before, externalId: $externalId) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { email } }
  }
}`;
type Page = {
  users: {
    totalCount: number;
    pageInfo: {
      hasNextPage: boolean;
      hasPreviousPage: boolean;
      startCursor: string | null;
      endCursor: string | null;
    };
    edges: Array<{ cursor: string; node: { email: string } }>;
  };
};

async function page(vars: Record<string, unknown>, key = org.key) {
  const { body } = await gql<Page>(t.app, key, PAGE, vars);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data!.users;
}
const emails = (p: Page["users"]) => p.edges.map((e) => e.node.email);

describe("Query.users backward", () => {
  it("last alone is the end of the list, in creation order", async () => {
    const all = await page({ first: 100 });
    const full = emails(all);
    expect(full).toHaveLength(8);
    expect(full.slice(1)).toEqual(Array.from({ length: 7 }, (_, i) => `u${i}@paging.example`));

    const tail = await page({ last: 3 });
    expect(emails(tail)).toEqual(full.slice(-3));
    expect(tail.totalCount).toBe(8);
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    // its cursors are the forward listing's
    expect(tail.edges.map((e) => e.cursor)).toEqual(all.edges.slice(-3).map((e) => e.cursor));

    const everything = await page({ last: 100 });
    expect(emails(everything)).toEqual(full);
    expect(everything.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: false });
  });

  it("last/before walk back to the start; forward cursors work as before and back", async () => {
    const full = emails(await page({ first: 100 }));
    const seen: string[] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const p: Page["users"] = await page({ last: 3, ...(before ? { before } : {}) });
      seen.unshift(...emails(p));
      if (before) expect(p.pageInfo.hasNextPage).toBe(true);
      if (!p.pageInfo.hasPreviousPage) break;
      before = p.pageInfo.startCursor;
    }
    expect(seen).toEqual(full);

    // forward first, then back from its end cursor
    const forward = await page({ first: 5 });
    const back = await page({ last: 2, before: forward.pageInfo.endCursor });
    expect(emails(back)).toEqual(full.slice(2, 4));
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    // and forward again from a backward page's end
    const again = await page({ first: 2, after: back.pageInfo.endCursor });
    expect(emails(again)).toEqual(full.slice(4, 6));
  });

  it("last with after keeps to the rows after the cursor", async () => {
    const all = await page({ first: 100 });
    const full = emails(all);
    const after = all.edges[5]!.cursor;
    const p = await page({ last: 5, after });
    expect(emails(p)).toEqual(full.slice(6));
    expect(p.pageInfo.hasPreviousPage).toBe(false);
    const cut = await page({ last: 1, after: all.edges[4]!.cursor });
    expect(emails(cut)).toEqual(full.slice(-1));
    expect(cut.pageInfo.hasPreviousPage).toBe(true);
  });

  it("with the external id filter, and for another organisation", async () => {
    const one = await page({ last: 2, externalId: "ext-3" });
    expect(emails(one)).toEqual(["u3@paging.example"]);
    expect(one.totalCount).toBe(1);
    expect(one.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: false });
    const none = await page({ last: 2, externalId: "nobody" });
    expect(none).toMatchObject({
      totalCount: 0,
      edges: [],
      pageInfo: { hasPreviousPage: false, hasNextPage: false, startCursor: null, endCursor: null },
    });
    const foreign = await page({ last: 100 }, other.key);
    expect(foreign.totalCount).toBe(1);
    expect(emails(foreign)).not.toContain("u0@paging.example");
  });

  it("last: 0 is an empty page that still counts", async () => {
    const p = await page({ last: 0 });
    expect(p.edges).toEqual([]);
    expect(p.totalCount).toBe(8);
    expect(p.pageInfo.hasPreviousPage).toBe(true);
  });
});
