// GraphiQL in a real browser (Debian's Chromium via playwright-core) with the network off except
// 127.0.0.1: the page, its scripts, styles and Monaco workers all come from this server, it runs
// the default query with an API key and shows the organisation's name. A screenshot goes to
// .tmp/graphiql.png. Without /usr/bin/chromium this FAILS (SKIP_BROWSER_TESTS=1 skips it).
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, type TestOrg } from "../helpers/app.js";
import { createRecordsOrg } from "../records/fixtures.js";

const CHROMIUM = "/usr/bin/chromium";
const SKIP = process.env.SKIP_BROWSER_TESTS === "1";
const SCREENSHOT = path.resolve(import.meta.dirname, "../../.tmp/graphiql.png");

describe.skipIf(SKIP)("GraphiQL in a real browser", () => {
  let t: TestApp | undefined;
  let org: TestOrg;
  let origin: string;
  let browser: Browser | undefined;
  let page: Page;
  const blockedRequests: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];
  const requested: string[] = [];
  const errorResponses: Array<{
    url: string;
    status: number;
    introspection: boolean;
    authorization?: string;
  }> = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), or set SKIP_BROWSER_TESTS=1 to skip the browser tests.`,
      );
    }
    t = await createTestApp();
    // With the demo modules: the default query walks the typed graph (contacts → account → deals).
    org = await createRecordsOrg(t.prisma, "Browser Test Org");
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const address = t.app.server.address();
    if (!address || typeof address === "string") throw new Error("the app is not listening on a port");
    origin = `http://127.0.0.1:${address.port}`;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // No name resolves except 127.0.0.1 itself: nothing can leave the machine by name.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Every request (workers included) that is not for 127.0.0.1 is aborted and recorded.
    await context.route(
      (url) => url.hostname !== "127.0.0.1" && url.protocol !== "data:" && url.protocol !== "blob:",
      (route) => {
        blockedRequests.push(route.request().url());
        return route.abort("blockedbyclient");
      },
    );
    page = await context.newPage();
    page.on("request", (request) => requested.push(request.url()));
    page.on("response", (r) => {
      if (r.status() >= 400) {
        const body = r.request().postData() ?? "";
        errorResponses.push({
          url: r.url(),
          status: r.status(),
          introspection: body.includes("IntrospectionQuery"),
          authorization: r.request().headers().authorization,
        });
      }
    });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    page.on("requestfailed", (request) =>
      failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? "failed"}`),
    );
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("renders, runs the default query with the API key, and reaches nothing but 127.0.0.1", async () => {
    const response = await page.goto(`${origin}/graphql`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-type"]).toMatch(/text\/html/);

    // The editor has rendered when Monaco shows the default query's text.
    const queryEditor = page.locator(".graphiql-query-editor");
    await expect
      .poll(async () => queryEditor.textContent().catch(() => ""), { timeout: 30_000 })
      .toContain("ContactsWithTheirAccountsDeals");
    await expect.poll(async () => page.locator(".graphiql-execute-button").count()).toBeGreaterThan(0);

    // The key goes in as a user would put it: into GraphiQL's headers editor.
    await page.getByText("Headers", { exact: true }).click();
    const headersEditor = page.locator(".graphiql-editor-tool .monaco-editor").last();
    await headersEditor.click();
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Delete");
    // insertText, not type(): Monaco would auto-close the typed quotes and braces.
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${org.key}` }));

    // GraphiQL fetched the schema on load with the placeholder header (401); with the key in
    // place, re-fetching it succeeds.
    const introspection = page.waitForResponse(
      (r) => r.request().method() === "POST" && (r.request().postData() ?? "").includes("IntrospectionQuery"),
    );
    await page.getByRole("button", { name: /Re-fetch GraphQL schema/ }).click();
    expect((await introspection).status()).toBe(200);

    const graphqlPost = page.waitForResponse(
      (r) =>
        r.url().startsWith(`${origin}/graphql`) &&
        r.request().method() === "POST" &&
        (r.request().postData() ?? "").includes("query ContactsWithTheirAccountsDeals"),
      { timeout: 20_000 },
    );
    await page.locator(".graphiql-execute-button").first().click();
    const post = await graphqlPost;
    expect(post.status()).toBe(200);
    expect(post.request().headers().authorization).toBe(`Bearer ${org.key}`);
    const answer = JSON.stringify(await post.json());
    expect(answer).toContain(org.name);
    expect(answer).toContain("Acme enterprise renewal");
    expect(answer).not.toContain('"errors"');

    // The result pane shows it (Monaco renders spaces as U+00A0: compare normalised).
    const responsePane = page.locator(".graphiql-response");
    const shown = async () => ((await responsePane.textContent().catch(() => "")) ?? "").replace(/\s+/g, " ");
    try {
      await expect.poll(shown, { timeout: 20_000 }).toContain(`"contacts": { "totalCount": 5`);
    } finally {
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
    }

    // Everything came from this server: page, scripts, styles and Monaco's three workers.
    expect(blockedRequests, "requests that tried to leave 127.0.0.1").toEqual([]);
    expect(failedRequests, "requests that failed").toEqual([]);
    for (const asset of [
      "graphiql.js",
      "graphiql.css",
      "editor.worker.js",
      "json.worker.js",
      "graphql.worker.js",
    ]) {
      expect(requested.some((url) => url.startsWith(`${origin}/graphiql/${asset}`))).toBe(true);
    }
    // The only error responses: the schema fetches GraphiQL made before a key was entered.
    const unexpected = errorResponses.filter(
      (r) => !(r.status === 401 && r.introspection && r.authorization === "Bearer <your API key>"),
    );
    expect(unexpected, "error responses other than the keyless schema fetch").toEqual([]);
    expect(pageErrors, "uncaught page errors").toEqual([]);
    const unauthorized = /^Failed to load resource: the server responded with a status of 401/;
    expect(consoleErrors.filter((text) => unauthorized.test(text)).length).toBe(errorResponses.length);
    const otherConsoleErrors = consoleErrors.filter((text) => !unauthorized.test(text));
    // CSP violations and blocked or failed scripts, styles and workers all end up here.
    expect(otherConsoleErrors, "console errors (CSP, blocked or failed resources)").toEqual([]);
  }, 60_000);
});
