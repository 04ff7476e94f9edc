// Property tests for catalog paths: URL encoding round trips through the real router, and LIKE
// escaping matches a path prefix literally.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodePath, escapeLike, parsePath } from "../../src/catalog/catalog.paths.js";
import { createOrg, createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";
import { catalogApi } from "./helpers.js";

/** Names as the catalog stores them: trimmed, 1..255 characters, no "/". */
const name = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 40 })
  .map((s) => s.replace(/\//g, "_").trim())
  .filter((s) => s.length > 0);

/** LIKE with `\` as escape character, as PostgreSQL evaluates it (for the property below). */
function like(value: string, pattern: string): boolean {
  let regex = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") regex += (pattern[++i] ?? "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (c === "%") regex += "[\\s\\S]*";
    else if (c === "_") regex += "[\\s\\S]";
    else regex += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${regex}$`, "u").test(value);
}

describe("paths (properties)", () => {
  it("parsePath accepts namespace + names and normalises a trailing slash", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("@Personal", "@Shared", "@Project Hub"),
        fc.array(name, { maxLength: 5 }),
        (ns, names) => {
          const path = [ns, ...names].join("/");
          expect(parsePath(path)).toEqual({ namespace: ns, names, path });
          expect(parsePath(`${path}/`)?.path).toBe(path);
        },
      ),
    );
  });

  it("encodePath survives URL decoding segment by segment", () => {
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 4 }), (names) => {
        const path = ["@Shared", ...names].join("/");
        expect(encodePath(path).split("/").map(decodeURIComponent).join("/")).toBe(path);
        expect(encodePath(path)).not.toMatch(/[ ?#]/);
      }),
    );
  });

  it("an escaped prefix matches its subtree and nothing else", () => {
    const alphabet = fc.constantFrom("a", "b", "_", "%", "\\", "x");
    const segment = fc.array(alphabet, { minLength: 1, maxLength: 4 }).map((chars) => chars.join(""));
    fc.assert(
      fc.property(segment, segment, (folder, other) => {
        const pattern = `${escapeLike(`@Shared/${folder}`)}/%`;
        expect(like(`@Shared/${folder}/${other}`, pattern)).toBe(true);
        if (other !== folder) expect(like(`@Shared/${other}/x`, pattern)).toBe(false);
      }),
    );
  });
});

describe("paths through the HTTP router (properties)", () => {
  let t: TestApp;
  let org: TestOrg;
  beforeAll(async () => {
    t = await createTestApp();
    org = await createOrg(t.prisma, "Paths");
  });
  afterAll(() => t.close());

  it("any name created is found again at its URL-encoded path", async () => {
    const api = catalogApi(t.app, org.key);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(name, async (folderName) => {
        const unique = `${folderName} ${n++}`;
        const created = await api.createFolder({ parent_path: "@Shared", name: unique });
        expect(created.statusCode).toBe(201);
        const location = created.headers.location as string;
        const found = await t.app.inject({
          method: "GET",
          url: location,
          headers: { authorization: `Bearer ${org.key}` },
        });
        expect(found.statusCode).toBe(200);
        expect(found.json().path).toBe(`@Shared/${unique}`);
      }),
      { numRuns: 30 },
    );
  });
});
