// Traces (issue 13, item 2): the real server, started as a child process with an OTLP endpoint,
// exports to a local OTLP/HTTP receiver (an in-process node:http listener): one trace per request,
// its HTTP server span the root (or the child of the caller's traceparent), the fastify, GraphQL
// and database spans under it; probes make no trace; start-up statements make none either.
// Without an endpoint nothing of the SDK is loaded.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.js";
import { createOrganization } from "../../src/identity/organizations.service.js";
import { createScratchDatabase, testDatabaseServerUrl } from "../helpers/database.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const READY_LINE = /GraphQL \+ GraphiQL: (http:\/\/\S+)\/graphql/;
const START_TIMEOUT_MS = 150_000;
/** The child processes below import the app: seconds on a loaded machine. */
const CHILD_TIMEOUT_MS = 90_000;
const quiet = { info() {}, warn() {} };

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: OtlpValue }>;
};
type Span = OtlpSpan & { scope: string; service: string | undefined };

const SPAN_KIND_SERVER = 2;

/** An OTLP/HTTP receiver: every span posted to /v1/traces (JSON), and the raw bodies. */
function startReceiver() {
  const spans: Span[] = [];
  const bodies: Array<{ contentType: string; body: Buffer }> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const contentType = request.headers["content-type"] ?? "";
      if (request.url === "/v1/traces") bodies.push({ contentType, body });
      if (request.url === "/v1/traces" && contentType.startsWith("application/json")) {
        const parsed = JSON.parse(body.toString("utf8"));
        for (const resourceSpans of parsed.resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find(
            (a: { key: string }) => a.key === "service.name",
          )?.value?.stringValue;
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? [])
              spans.push({ ...span, scope: scopeSpans.scope.name, service });
          }
        }
      }
      response.writeHead(200, { "content-type": contentType || "application/json" });
      response.end(contentType.startsWith("application/json") ? "{}" : undefined);
    });
  });
  const listening = new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
  return { spans, bodies, listening, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function attribute(span: OtlpSpan, key: string): string | number | boolean | undefined {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? value?.intValue ?? value?.boolValue;
}

/** The span's ancestors within its trace, nearest first. */
function ancestors(span: Span, all: Span[]): Span[] {
  const byId = new Map(all.filter((s) => s.traceId === span.traceId).map((s) => [s.spanId, s]));
  const chain: Span[] = [];
  for (let parent = byId.get(span.parentSpanId ?? ""); parent; parent = byId.get(parent.parentSpanId ?? "")) {
    chain.push(parent);
  }
  return chain;
}

function hex(bytes: number): string {
  return Array.from({ length: bytes }, () =>
    Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, "0"),
  ).join("");
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("with OTEL_EXPORTER_OTLP_ENDPOINT, the real server", () => {
  const receiver = startReceiver();
  const cleanups: Array<() => Promise<void> | void> = [];
  let child: ChildProcess | undefined;
  let origin: string;
  let key: string;
  let output = "";

  beforeAll(async () => {
    const endpoint = await receiver.listening;
    // An organisation and its key, written before the server starts on the same database.
    const serverUrl = testDatabaseServerUrl();
    const env: Record<string, string> = {};
    if (serverUrl) {
      const scratch = await createScratchDatabase(serverUrl);
      cleanups.push(() => scratch.drop());
      env.DATABASE_URL = scratch.url;
    } else {
      const dataDir = mkdtempSync(path.join(tmpdir(), "gw-tracing-"));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      env.DATA_DIR = dataDir;
    }
    const db = await openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR, logger: quiet });
    try {
      key = (await createOrganization(db.prisma, { name: "Traced" })).ownerKey.secret;
    } finally {
      await db.close();
    }

    const base = { ...process.env };
    for (const name of Object.keys(base)) {
      if (
        name.startsWith("OTEL_") ||
        ["DATABASE_URL", "TEST_DATABASE_URL", "PORT", "DATA_DIR"].includes(name)
      ) {
        delete base[name];
      }
    }
    child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      cwd: REPO_ROOT,
      env: {
        ...base,
        ...env,
        HOST: "127.0.0.1",
        PORT: "0",
        DEMO_DATA: "false",
        LOG_LEVEL: "warn",
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "100",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const started = child;
    cleanups.push(() => {
      started.kill("SIGKILL");
    });
    origin = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line:\n${output}`)), START_TIMEOUT_MS);
      const onData = (chunk: string) => {
        output += chunk;
        const match = READY_LINE.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      started.stdout!.setEncoding("utf8").on("data", onData);
      started.stderr!.setEncoding("utf8").on("data", onData);
      started.on("exit", (code) =>
        reject(new Error(`server exited (${code}) before it was ready:\n${output}`)),
      );
    });
  }, START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await receiver.close();
  });

  it("one trace per request, with the database spans under the HTTP and GraphQL spans", async () => {
    const restTrace = hex(16);
    const restParent = hex(8);
    const graphqlTrace = hex(16);
    const graphqlParent = hex(8);
    const authorization = `Bearer ${key}`;

    const rest = await fetch(`${origin}/v1/entities`, {
      headers: { authorization, traceparent: `00-${restTrace}-${restParent}-01` },
    });
    expect(rest.status, output).toBe(200);
    const graphql = await fetch(`${origin}/graphql`, {
      method: "POST",
      headers: {
        authorization,
        "content-type": "application/json",
        traceparent: `00-${graphqlTrace}-${graphqlParent}-01`,
      },
      body: JSON.stringify({ query: "query TracedProjects { projects(first: 2) { totalCount } }" }),
    });
    expect(graphql.status).toBe(200);
    expect((await graphql.json()).errors).toBeUndefined();
    // Without a traceparent: a trace of its own. Probes: none.
    const untraced = await fetch(`${origin}/v1/entities`, { headers: { authorization } });
    expect(untraced.status).toBe(200);
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);

    const spans = receiver.spans;
    const serverSpans = () =>
      spans.filter((s) => s.kind === SPAN_KIND_SERVER && s.scope.includes("instrumentation-http"));
    await until("the three requests' server spans", () => (serverSpans().length >= 3 ? true : undefined));
    // The statements' spans end before their request's: give the last batch time to arrive.
    await until("the GraphQL execution's span", () =>
      spans.find((s) => s.traceId === graphqlTrace && s.name === "query TracedProjects"),
    );
    await new Promise((r) => setTimeout(r, 500));

    // One server span per request: three requests, three traces; the probes made none, and no
    // statement outside a request (start-up, the change feed) made one.
    expect(serverSpans()).toHaveLength(3);
    const traces = new Set(spans.map((s) => s.traceId));
    expect(traces.size, JSON.stringify([...traces])).toBe(3);
    expect(spans.every((s) => s.service === "gateway")).toBe(true);

    for (const [traceId, parent, name, route] of [
      [restTrace, restParent, "GET /v1/entities", "/v1/entities"],
      [graphqlTrace, graphqlParent, "POST /graphql", "/graphql"],
    ] as const) {
      const inTrace = spans.filter((s) => s.traceId === traceId);
      const roots = inTrace.filter((s) => !inTrace.some((p) => p.spanId === s.parentSpanId));
      // The server span is the only root, and it continues the caller's trace.
      expect(roots.map((s) => s.name)).toEqual([name]);
      const root = roots[0]!;
      expect(root.parentSpanId).toBe(parent);
      expect(root.kind).toBe(SPAN_KIND_SERVER);
      expect(attribute(root, "http.route")).toBe(route);
      // Fastify's request span, and statements under the server span.
      expect(inTrace.some((s) => s.scope === "@fastify/otel" && s.name === "request")).toBe(true);
      const statements = inTrace.filter(
        (s) => s.scope.includes("instrumentation-pg") && s.name.startsWith("pg.query"),
      );
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) expect(ancestors(statement, spans)).toContain(root);
    }

    // GraphQL: parse, validate and execute spans under the request; the resolvers' statements
    // under the execution.
    const graphqlSpans = spans.filter((s) => s.traceId === graphqlTrace);
    const execute = graphqlSpans.find((s) => s.name === "query TracedProjects")!;
    expect(attribute(execute, "graphql.operation.name")).toBe("TracedProjects");
    expect(attribute(execute, "graphql.operation.type")).toBe("query");
    for (const phase of ["graphql.parse", "graphql.validate"]) {
      const span = graphqlSpans.find((s) => s.name === phase);
      expect(span, phase).toBeDefined();
      expect(ancestors(span!, spans).map((s) => s.name)).toContain("POST /graphql");
    }
    const underExecute = graphqlSpans.filter(
      (s) => s.scope.includes("instrumentation-pg") && ancestors(s, spans).includes(execute),
    );
    expect(underExecute.length).toBeGreaterThan(0);

    // The request without a traceparent: a root server span, its statements in its trace.
    const own = serverSpans().find((s) => s.traceId !== restTrace && s.traceId !== graphqlTrace)!;
    expect(own.parentSpanId ?? "").toBe("");
    expect(own.name).toBe("GET /v1/entities");
    const ownStatements = spans.filter(
      (s) => s.traceId === own.traceId && s.scope.includes("instrumentation-pg"),
    );
    expect(ownStatements.length).toBeGreaterThan(0);
  });
});

const run = promisify(execFile);

describe("tracing module", () => {
  it(
    "without an endpoint, loads nothing of the SDK (the app included)",
    async () => {
      const script = `
      await import("./src/observability/tracing.ts");
      await import("./src/app.ts");
      const { createRequire } = await import("node:module");
      const loaded = Object.keys(createRequire(process.cwd() + "/").cache);
      const sdk = loaded.filter((f) => /sdk-trace|exporter-trace|@opentelemetry.instrumentation|@fastify.otel|import-in-the-middle|require-in-the-middle/.test(f));
      const { tracingState } = await import("./src/observability/tracing-state.ts");
      const { trace } = await import("@opentelemetry/api");
      console.log(JSON.stringify({ sdk, enabled: tracingState.enabled, graphql: loaded.some((f) => f.includes("/graphql/")), tracer: trace.getTracer("x").constructor.name }));
    `;
      const env = { ...process.env };
      for (const name of Object.keys(env)) if (name.startsWith("OTEL_")) delete env[name];
      const { stdout } = await run(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        {
          cwd: REPO_ROOT,
          env,
        },
      );
      const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
      expect(result.graphql).toBe(true);
      expect(result.sdk).toEqual([]);
      expect(result.enabled).toBe(false);
      expect(result.tracer).toBe("ProxyTracer");
    },
    CHILD_TIMEOUT_MS,
  );

  it(
    "exports OTLP protobuf by default (the specification's default protocol)",
    async () => {
      const receiver = startReceiver();
      try {
        const endpoint = await receiver.listening;
        const script = `
        await import("./src/observability/tracing.ts");
        const { tracingState } = await import("./src/observability/tracing-state.ts");
        const { trace } = await import("@opentelemetry/api");
        trace.getTracer("probe").startSpan("protobuf-probe-span").end();
        await tracingState.flush();
        console.log(JSON.stringify({ enabled: tracingState.enabled }));
      `;
        const env = { ...process.env };
        for (const name of Object.keys(env)) if (name.startsWith("OTEL_")) delete env[name];
        env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
        const { stdout } = await run(
          process.execPath,
          ["--import", "tsx", "--input-type=module", "-e", script],
          {
            cwd: REPO_ROOT,
            env,
          },
        );
        expect(JSON.parse(stdout.trim().split("\n").at(-1)!).enabled).toBe(true);
        expect(receiver.bodies).toHaveLength(1);
        expect(receiver.bodies[0]!.contentType).toBe("application/x-protobuf");
        // The span's name is a protobuf string field: its bytes appear as they are.
        expect(receiver.bodies[0]!.body.includes(Buffer.from("protobuf-probe-span"))).toBe(true);
        expect(receiver.bodies[0]!.body.includes(Buffer.from("gateway"))).toBe(true);
      } finally {
        await receiver.close();
      }
    },
    CHILD_TIMEOUT_MS,
  );
});
