// Hostile documents: oversized, token-heavy, alias-heavy, and floods of unique large documents
// that used to fill yoga's parse cache until the heap ran out (issue 11, parts 3 and 7b).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BoundedCache, documentWeight } from "../../src/graphql/document-limits.js";
import { createOrg, createTestApp, gql, type TestApp, type TestOrg } from "../helpers/app.js";

let t: TestApp;
let org: TestOrg;

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t.prisma, "Abuse");
});
afterAll(() => t.close());

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** Heap in use after a full collection, in MB: what the process really keeps. */
function liveHeapMb(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed / 1_048_576;
}

/** `query Q<n> { f<n>_0 f<n>_1 … }`: unknown fields with names unique to the document. */
function uniqueDocument(n: number, { bytes, fields }: { bytes?: number; fields?: number }): string {
  const names: string[] = [];
  let size = 0;
  for (let i = 0; fields !== undefined ? i < fields : size < (bytes ?? 0); i++) {
    const name = `f${n}_${i}`;
    names.push(name);
    size += name.length + 1;
  }
  return `query Q${n} { ${names.join(" ")} }`;
}

describe("document size", () => {
  it("refuses a 0.9 MB+ document before parsing: 413 DOCUMENT_TOO_LARGE, well under a second", async () => {
    const query = uniqueDocument(0, { bytes: 950_000 });
    expect(query.length).toBeGreaterThan(t.config.graphql.maxDocumentBytes);
    const started = performance.now();
    const { status, body } = await gql(t.app, org.key, query);
    const elapsed = performance.now() - started;
    expect(status).toBe(413);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      {
        message: `The document exceeds the limit of ${t.config.graphql.maxDocumentBytes} bytes`,
        extensions: { code: "DOCUMENT_TOO_LARGE", maxBytes: t.config.graphql.maxDocumentBytes },
      },
    ]);
    console.info(`0.95 MB document refused in ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(500);
  });

  it("counts UTF-8 bytes, not characters", async () => {
    const limited = await createTestApp({ GRAPHQL_MAX_DOCUMENT_BYTES: "2048" });
    try {
      const limitedOrg = await createOrg(limited.prisma, "Bytes");
      // 725 characters, 2 125 bytes.
      const query = `{ viewer { scopes } } # ${"€".repeat(700)}`;
      expect(query.length).toBeLessThan(2048);
      const { status, body } = await gql(limited.app, limitedOrg.key, query);
      expect(status).toBe(413);
      expect(body.errors?.[0]?.extensions?.code).toBe("DOCUMENT_TOO_LARGE");
      const small = await gql(limited.app, limitedOrg.key, "{ viewer { scopes } }");
      expect(small.body.errors).toBeUndefined();
    } finally {
      await limited.close();
    }
  });

  // A parse error: 400 for GraphQL-over-HTTP clients, 200 for legacy application/json ones.
  it("refuses a document over GRAPHQL_MAX_TOKENS while parsing: TOO_MANY_TOKENS", async () => {
    const max = t.config.graphql.maxTokens;
    const query = uniqueDocument(1, { fields: max });
    expect(Buffer.byteLength(query)).toBeLessThan(t.config.graphql.maxDocumentBytes);
    const started = performance.now();
    const { status, body } = await gql(t.app, org.key, query, undefined, {
      accept: "application/graphql-response+json",
    });
    const elapsed = performance.now() - started;
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      { message: `Syntax Error: Token limit of ${max} exceeded.`, extensions: { code: "TOO_MANY_TOKENS" } },
    ]);
    console.info(`${max}-field document refused in ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(500);
    const legacy = await gql(t.app, org.key, uniqueDocument(2, { fields: max }));
    expect(legacy.status).toBe(200);
    expect(legacy.body.errors?.[0]?.extensions?.code).toBe("TOO_MANY_TOKENS");
  });

  it("lets a document within the limits through", async () => {
    const { status, body } = await gql(t.app, org.key, `{ viewer { scopes } } # ${"x".repeat(50_000)}`);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });
});

describe("aliases", () => {
  it("counts __typename aliases against GRAPHQL_MAX_ALIASES", async () => {
    const max = t.config.graphql.maxAliases;
    const aliases = Array.from({ length: max + 1 }, (_, i) => `t${i}: __typename`).join(" ");
    const { body } = await gql(t.app, org.key, `{ ${aliases} }`);
    expect(body.data).toBeUndefined();
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(["TOO_MANY_ALIASES"]);
  });

  it("allows as many __typename aliases as the limit", async () => {
    const max = t.config.graphql.maxAliases;
    const aliases = Array.from({ length: max }, (_, i) => `t${i}: __typename`).join(" ");
    const { body } = await gql<Record<string, string>>(t.app, org.key, `{ ${aliases} }`);
    expect(body.errors).toBeUndefined();
    expect(Object.keys(body.data ?? {})).toHaveLength(max);
  });
});

describe("memory under a flood of unique documents", () => {
  // Before the bounds, each 0.9 MB document kept ~45 MB of heap in yoga's parse cache (1 024
  // entries): the heap passed 2.7 GB after 60 of them.
  it("500 unique ~0.9 MB documents leave the live heap within 64 MB of where it started", async () => {
    const warm = await gql(t.app, org.key, uniqueDocument(100_000, { bytes: 900_000 }));
    expect(warm.status).toBe(413);
    const before = liveHeapMb();
    const rssBefore = process.memoryUsage().rss / 1_048_576;
    let rssPeak = rssBefore;
    for (let n = 0; n < 500; n++) {
      const query = uniqueDocument(n, { bytes: 900_000 });
      const { status, body } = await gql(t.app, org.key, query);
      expect(status).toBe(413);
      expect(body.errors?.[0]?.extensions?.code).toBe("DOCUMENT_TOO_LARGE");
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss / 1_048_576);
    }
    const after = liveHeapMb();
    console.info(
      `500 × 0.9 MB: live heap ${before.toFixed(0)} → ${after.toFixed(0)} MB, RSS ${rssBefore.toFixed(0)} → peak ${rssPeak.toFixed(0)} MB`,
    );
    expect(after - before).toBeLessThan(64);
    // RSS also counts garbage not yet collected (each request allocates a few MB of strings).
    expect(rssPeak - rssBefore).toBeLessThan(600);
  }, 120_000);

  // Documents just inside the limits are parsed, fail validation, and are cached: the cache's
  // byte budget (GRAPHQL_DOCUMENT_CACHE_BYTES, 32 MB estimated) is what keeps the heap flat.
  // Before it, each kept ~4 MB: +830 MB after 200.
  it("300 unique documents just inside the limits, each failing validation, stay within the cache budget", async () => {
    const fields = t.config.graphql.maxTokens - 10;
    const warm = await gql(t.app, org.key, uniqueDocument(100_000, { fields }));
    expect(warm.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const before = liveHeapMb();
    for (let n = 0; n < 300; n++) {
      const { body } = await gql(t.app, org.key, uniqueDocument(n, { fields }));
      expect(body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    }
    const after = liveHeapMb();
    console.info(`300 × ${fields} fields: live heap ${before.toFixed(0)} → ${after.toFixed(0)} MB`);
    expect(after - before).toBeLessThan(96);
  }, 120_000);
});

describe("BoundedCache", () => {
  const weighLength = (key: string) => key.length;

  it("evicts the least recently used entry beyond its entry limit", () => {
    const cache = new BoundedCache<number>({
      maxEntries: 2,
      maxBytes: 1000,
      maxEntryBytes: 1000,
      weigh: weighLength,
    });
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.get("c")).toBe(3);
    expect(cache.size).toBe(2);
  });

  it("evicts beyond its byte budget and never keeps an entry heavier than maxEntryBytes", () => {
    const cache = new BoundedCache<number>({
      maxEntries: 100,
      maxBytes: 10,
      maxEntryBytes: 6,
      weigh: weighLength,
    });
    cache.set("aaaa", 1);
    cache.set("bbbb", 2);
    cache.set("cccc", 3);
    expect(cache.get("aaaa")).toBeUndefined();
    expect(cache.totalBytes).toBe(8);
    cache.set("ddddddd", 4);
    expect(cache.get("ddddddd")).toBeUndefined();
    expect(cache.size).toBe(2);
    cache.set("bbbb", 5);
    expect(cache.get("bbbb")).toBe(5);
    expect(cache.totalBytes).toBe(8);
  });

  it("weighs a parsed document by its tokens, not just its text", () => {
    const short = parse("{ a b c d e f g h }");
    const long = parse(`{ a } # ${"x".repeat(100)}`);
    expect(documentWeight("{ a b c d e f g h }", short)).toBeGreaterThan(
      documentWeight(`{ a } # ${"x".repeat(100)}`, long),
    );
  });
});
