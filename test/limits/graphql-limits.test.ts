// Each GraphQL query limit's rejection, as a client sees it (issue 15, item 5): nothing runs, the
// response has no `data`, one error names the limit in `extensions.code`; the status is 400 for
// application/graphql-response+json clients and 200 for legacy application/json ones (a request
// error, as GraphQL over HTTP has it), except a document too large (413, before parsing) and the
// rate limit (429). And "Did you mean …" hints are gone when introspection is off.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKeySecret } from "../../src/identity/api-key-secret.js";
import {
  createKey,
  createOrg,
  createTestApp,
  gql,
  type Json,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

const STRICT = { accept: "application/graphql-response+json" };
const LEGACY = { accept: "application/json" };

async function call(...args: Parameters<typeof gql>): Promise<{ status: number; body: Json; headers: Json }> {
  const { status, body, response } = await gql(...args);
  return { status, body: body as Json, headers: response.headers };
}

describe("query limits", () => {
  let t: TestApp;
  let org: TestOrg;
  beforeAll(async () => {
    t = await createTestApp({
      GRAPHQL_MAX_DOCUMENT_BYTES: "2048",
      GRAPHQL_MAX_TOKENS: "200",
      GRAPHQL_MAX_DEPTH: "3",
      GRAPHQL_MAX_ALIASES: "2",
      GRAPHQL_MAX_DIRECTIVES: "3",
      GRAPHQL_MAX_COST: "50",
    });
    org = await createOrg(t.prisma, "Limits");
  });
  afterAll(() => t.close());

  const LIMITS: Array<{
    code: string;
    query: string;
    message: RegExp;
    extensions?: Record<string, unknown>;
  }> = [
    {
      code: "TOO_MANY_TOKENS",
      query: `{ ${"viewer { scopes } ".repeat(60)}}`,
      message: /^Syntax Error: Token limit of 200 exceeded\.$/,
    },
    {
      code: "QUERY_TOO_DEEP",
      query: "{ viewer { user { groups { id } } } }",
      message: /^Syntax Error: Query depth limit of 3 exceeded, found 4\.$/,
    },
    {
      code: "TOO_MANY_ALIASES",
      query: "{ a: viewer { scopes } b: viewer { scopes } c: viewer { scopes } }",
      message: /^Syntax Error: Aliases limit of 2 exceeded, found 3\.$/,
    },
    {
      code: "TOO_MANY_DIRECTIVES",
      // Fragments count where they are spread: 2 in the operation + 2 in the fragment.
      query:
        "fragment S on Viewer { scopes @include(if: true) user @skip(if: false) { id } } { viewer @include(if: true) { ...S @include(if: true) } }",
      message: /^Syntax Error: Directives limit of 3 exceeded, found 4\.$/,
    },
    {
      code: "QUERY_TOO_COSTLY",
      // Each connection: 1 + 20 × totalCount 1 = 21; three of them exceed 50.
      query:
        "{ users(first: 20) { totalCount } groups(first: 20) { totalCount } projects(first: 20) { totalCount } }",
      message: /^Query cost 63 exceeds the limit of 50/,
      extensions: { cost: 63, maxCost: 50 },
    },
  ];

  it.each(
    LIMITS,
  )("$code: 400 (graphql-response+json) / 200 (json), no data, the limit's code", async (limit) => {
    const strict = await call(t.app, org.key, limit.query, undefined, STRICT);
    expect(strict.status).toBe(400);
    expect(strict.headers["content-type"]).toContain("application/graphql-response+json");
    expect(strict.body).toEqual({
      errors: [
        {
          message: expect.stringMatching(limit.message),
          extensions: { code: limit.code, ...limit.extensions },
        },
      ],
    });
    const legacy = await call(t.app, org.key, limit.query, undefined, LEGACY);
    expect(legacy.status).toBe(200);
    expect(legacy.body).toEqual(strict.body);
  });

  it("the same documents within the limits run", async () => {
    const { status, body } = await call(
      t.app,
      org.key,
      "{ viewer { scopes @include(if: true) } a: viewer { scopes } }",
    );
    expect(status).toBe(200);
    expect(body).toEqual({ data: { viewer: { scopes: ["*"] }, a: { scopes: ["*"] } } });
  });

  it("DOCUMENT_TOO_LARGE: 413 for either media type, before parsing", async () => {
    const query = `{ viewer { scopes } } # ${"x".repeat(3000)}`;
    for (const accept of [STRICT, LEGACY]) {
      const { status, body } = await call(t.app, org.key, query, undefined, accept);
      expect(status).toBe(413);
      expect(body).toEqual({
        errors: [
          {
            message: "The document exceeds the limit of 2048 bytes",
            extensions: { code: "DOCUMENT_TOO_LARGE", maxBytes: 2048 },
          },
        ],
      });
    }
  });

  it("RATE_LIMITED: 429 with Retry-After and the RateLimit headers, no data", async () => {
    const key = await createKey(t.prisma, org, { scopes: ["*"] });
    await t.prisma.apiKey.update({
      where: { secretHash: hashApiKeySecret(key) },
      data: { rateLimitPerMinute: 1 },
    });
    expect((await call(t.app, key, "{ viewer { scopes } }")).status).toBe(200);
    for (const accept of [STRICT, LEGACY]) {
      const { status, body, headers } = await call(t.app, key, "{ viewer { scopes } }", undefined, accept);
      expect(status).toBe(429);
      expect(Number(headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(headers["ratelimit-remaining"]).toBe("0");
      expect(body).toEqual({
        errors: [
          { message: expect.stringMatching(/^Too many requests/), extensions: { code: "RATE_LIMITED" } },
        ],
      });
    }
  });
});

// What a typo may reveal of the schema: nothing, with introspection off, key or not.
const TYPOS: Array<{ what: string; query: string; variables?: Record<string, unknown> }> = [
  { what: "a field", query: "{ viewer { organizaton { name } } }" },
  { what: "an argument", query: "{ users(frist: 2) { totalCount } }" },
  { what: "a type", query: "query ($x: Strin) { viewer { scopes } }" },
  {
    what: "an enum value",
    query: 'mutation { createApiKey(input: { name: "x", scopes: [USERS_RAED] }) { secret } }',
  },
  {
    what: "an input field in a variable",
    query: "mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
    variables: { i: { name: "x", scopez: ["USERS_READ"] } },
  },
  {
    what: "an enum value in a variable",
    query: "mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
    variables: { i: { name: "x", scopes: ["USERS_RAED"] } },
  },
];

describe.each(["true", "false"])("GRAPHQL_INTROSPECTION=false, GRAPHQL_JIT=%s", (jit) => {
  let t: TestApp;
  let org: TestOrg;
  beforeAll(async () => {
    t = await createTestApp({ GRAPHQL_INTROSPECTION: "false", GRAPHQL_JIT: jit });
    org = await createOrg(t.prisma, "Closed");
  });
  afterAll(() => t.close());

  it.each(TYPOS)("a typo in $what: refused, with no suggestion", async ({ query, variables }) => {
    for (const key of [org.key, null]) {
      const { body } = await call(t.app, key, query, variables);
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.length).toBeGreaterThan(0);
      // Without a key, validation errors come before the 401; variables are checked after it.
      if (key === null && variables) continue;
      expect(JSON.stringify(body.errors)).not.toMatch(/did you mean/i);
    }
  });
});

describe("GRAPHQL_INTROSPECTION=true (the default)", () => {
  let t: TestApp;
  let org: TestOrg;
  beforeAll(async () => {
    t = await createTestApp();
    org = await createOrg(t.prisma, "Open");
  });
  afterAll(() => t.close());

  // The schema is public through introspection then: the hints reveal nothing more, and help.
  it("keeps the hints", async () => {
    const { body } = await call(t.app, org.key, TYPOS[0]!.query);
    expect(body.errors[0].message).toBe(
      'Cannot query field "organizaton" on type "Viewer". Did you mean "organization"?',
    );
  });
});
