// The SCIM filter and PATCH path grammar (RFC 7644 §3.4.2.2, §3.5.2): precedence, literals,
// escapes, and the errors that become 400 invalidFilter / invalidPath.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Filter, FilterSyntaxError, parseFilter, parsePatchPath } from "../../src/scim/scim.filter.js";

const path = (attr: string, sub: string | null = null, uri: string | null = null) => ({ uri, attr, sub });

describe("parseFilter", () => {
  it("parses comparisons, presence and every operator, case-insensitively", () => {
    expect(parseFilter('userName eq "bjensen"')).toEqual({
      op: "eq",
      path: path("userName"),
      value: "bjensen",
    });
    expect(parseFilter("title PR")).toEqual({ op: "pr", path: path("title") });
    for (const op of ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]) {
      expect(parseFilter(`a ${op.toUpperCase()} "x"`)).toMatchObject({ op });
    }
  });

  it("reads true, false, null in any case, numbers, and JSON strings with escapes", () => {
    expect(parseFilter("active eq TRUE")).toMatchObject({ value: true });
    expect(parseFilter("active eq False")).toMatchObject({ value: false });
    expect(parseFilter("a eq null")).toMatchObject({ value: null });
    expect(parseFilter("a gt -1.5e2")).toMatchObject({ value: -150 });
    expect(parseFilter("a gt -5 and b pr")).toMatchObject({ op: "and" });
    expect(parseFilter(String.raw`userName eq "DOMAIN\\ann"`)).toMatchObject({ value: "DOMAIN\\ann" });
    expect(parseFilter(String.raw`a eq "say \"hi\" \u00e9"`)).toMatchObject({ value: 'say "hi" é' });
    expect(parseFilter('a eq "]) and ("')).toMatchObject({ value: "]) and (" });
  });

  it("binds and tighter than or; not and parentheses group", () => {
    const filter = parseFilter("a pr or b pr and c pr");
    expect(filter).toEqual({
      op: "or",
      filters: [
        { op: "pr", path: path("a") },
        {
          op: "and",
          filters: [
            { op: "pr", path: path("b") },
            { op: "pr", path: path("c") },
          ],
        },
      ],
    });
    expect(parseFilter("(a pr or b pr) and c pr")).toMatchObject({
      op: "and",
      filters: [{ op: "or" }, { op: "pr" }],
    });
    expect(parseFilter("not (a pr) and b pr")).toMatchObject({
      op: "and",
      filters: [{ op: "not" }, { op: "pr" }],
    });
    expect(parseFilter("a pr or b pr or c pr")).toMatchObject({ op: "or", filters: [{}, {}, {}] });
  });

  it("parses value paths, sub-attributes and URN-qualified attributes", () => {
    expect(parseFilter('emails[type eq "work" and value co "@example.com"]')).toEqual({
      op: "valuePath",
      path: path("emails"),
      filter: {
        op: "and",
        filters: [
          { op: "eq", path: path("type"), value: "work" },
          { op: "co", path: path("value"), value: "@example.com" },
        ],
      },
    });
    expect(parseFilter('name.familyName co "O\'Malley"')).toMatchObject({ path: path("name", "familyName") });
    const urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    expect(parseFilter(`${urn}:manager.value eq "1"`)).toMatchObject({ path: path("manager", "value", urn) });
  });

  it.each([
    ["", "empty"],
    ["userName", "no operator"],
    ["userName eq", "no value"],
    ['userName eq "a', "unterminated string"],
    ['userName eq "a\\q"', "invalid escape"],
    ["userName eq bjensen", "unquoted string"],
    ['userName ~ "a"', "unknown character"],
    ['userName like "a"', "unknown operator"],
    ['a eq "x" and', "dangling and"],
    ['a eq "x" b eq "y"', "missing and/or"],
    ['(a eq "x"', "unclosed parenthesis"],
    ['a eq "x")', "stray parenthesis"],
    ['emails[type eq "work"', "unclosed bracket"],
    ['emails[value[type eq "x"]]', "nested value path"],
    ['emails[name.first eq "x"]', "dotted name inside brackets"],
    ['a.b.c eq "x"', "too many dots"],
    ['emails.value[type eq "x"]', "bracket after a sub-attribute"],
  ])("refuses %j (%s)", (text) => {
    expect(() => parseFilter(text)).toThrow(FilterSyntaxError);
  });

  it("refuses filters nested too deep or too long instead of overflowing", () => {
    expect(() => parseFilter(`${"(".repeat(10_000)}a pr${")".repeat(10_000)}`)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(`${"not (".repeat(60)}a pr${")".repeat(60)}`)).toThrow(FilterSyntaxError);
  });

  it("never throws anything but FilterSyntaxError on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          parseFilter(text);
        } catch (error) {
          if (!(error instanceof FilterSyntaxError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("parsePatchPath", () => {
  it("parses attribute paths, value paths and a sub-attribute after the filter", () => {
    expect(parsePatchPath("displayName")).toEqual({ path: path("displayName"), filter: null, sub: null });
    expect(parsePatchPath("name.givenName")).toEqual({
      path: path("name", "givenName"),
      filter: null,
      sub: null,
    });
    const work: Filter = { op: "eq", path: path("type"), value: "work" };
    expect(parsePatchPath('emails[type eq "work"].value')).toEqual({
      path: path("emails"),
      filter: work,
      sub: "value",
    });
    expect(parsePatchPath('members[value eq "a]b"]')).toMatchObject({ filter: { value: "a]b" }, sub: null });
    const urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    expect(parsePatchPath(`${urn}:manager`)).toMatchObject({ path: path("manager", null, urn) });
    expect(parsePatchPath(urn)).toMatchObject({
      path: path("User", null, "urn:ietf:params:scim:schemas:extension:enterprise:2.0"),
    });
  });

  it.each([
    'emails[type eq "work"',
    'emails[type eq "work"]value',
    'emails[type eq "work"].a.b',
    "[x]",
    "name.a.b",
    "",
  ])("refuses %j", (text) => {
    expect(() => parsePatchPath(text)).toThrow(FilterSyntaxError);
  });
});
