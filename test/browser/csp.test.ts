// CSP `upgrade-insecure-requests` only behind https (issue 15, item 7): over plain HTTP it made
// browsers fetch every asset of GraphiQL, /docs and /api-swagger over https, and the pages
// rendered blank. Sent when the request came over TLS or PUBLIC_URL is https; a forged
// X-Forwarded-Proto changes nothing (the app trusts no proxy).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, request as httpsRequest, type Server } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../helpers/app.js";

const PAGES = ["/graphql", "/docs", "/api-swagger"];
const UPGRADE = /(^|;)\s*upgrade-insecure-requests\s*(;|$)/;

async function cspOf(t: TestApp, url: string, headers: Record<string, string> = {}) {
  const response = await t.app.inject({ method: "GET", url, headers: { accept: "text/html", ...headers } });
  const csp = response.headers["content-security-policy"];
  expect(typeof csp, `${url} sends a CSP`).toBe("string");
  return String(csp);
}

describe("over plain HTTP", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it.each(PAGES)("%s: CSP without upgrade-insecure-requests, whatever the host name", async (url) => {
    for (const host of ["127.0.0.1:4000", "gateway.test:4000", "10.1.2.3"]) {
      const csp = await cspOf(t, url, { host });
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(UPGRADE);
    }
  });

  it("a forged X-Forwarded-Proto: https does not turn it on (no proxy is trusted)", async () => {
    const csp = await cspOf(t, "/graphql", { host: "gateway.test", "x-forwarded-proto": "https" });
    expect(csp).not.toMatch(UPGRADE);
  });
});

describe("PUBLIC_URL https://…", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ PUBLIC_URL: "https://gw.example.com" });
  });
  afterAll(() => t?.close());

  it.each(PAGES)("%s: CSP with upgrade-insecure-requests", async (url) => {
    expect(await cspOf(t, url)).toMatch(UPGRADE);
  });

  it("PUBLIC_URL http://… does not", async () => {
    const plain = await createTestApp({ PUBLIC_URL: "http://gw.example.com" });
    try {
      expect(await cspOf(plain, "/graphql")).not.toMatch(UPGRADE);
    } finally {
      await plain.close();
    }
  });
});

describe("a request over TLS", () => {
  let t: TestApp;
  let server: Server;
  let port = 0;
  let dir = "";
  beforeAll(async () => {
    t = await createTestApp();
    dir = mkdtempSync(path.join(tmpdir(), "gw-tls-"));
    const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
    execFileSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-days",
      "1",
      "-keyout",
      key,
      "-out",
      cert,
    ]);
    // The app's own routing behind a real TLS socket: request.protocol is https.
    server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) =>
      t.app.routing(req, res),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("gets upgrade-insecure-requests", async () => {
    const csp = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port,
          path: "/graphql",
          headers: { accept: "text/html" },
          rejectUnauthorized: false,
        },
        (res) => {
          res.resume();
          resolve(String(res.headers["content-security-policy"]));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(UPGRADE);
  });
});
