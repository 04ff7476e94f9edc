// OpenTelemetry tracing, off unless an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT
// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, the standard variables; docs/operations.md). It must run
// before fastify, http and pg are loaded, which is why src/server.ts imports it first. With
// tracing off this module loads nothing else: the SDK and the instrumentations are required here
// only when tracing starts (synchronously, so that they are in place before the modules that
// src/server.ts imports next are evaluated).
//
// Spans: instrumentation-http makes the server span of each request (named by its route, which
// @fastify/otel supplies), @fastify/otel the request, hook and handler spans, instrumentation-pg
// one span per statement (and pool connect), all under the request's span; GraphQL's parse,
// validate and execute spans come from our yoga plugin (src/observability/graphql.ts), since
// graphql-jit bypasses the graphql-js functions instrumentation-graphql patches.
import { createRequire } from "node:module";
import type { DiagLogger } from "@opentelemetry/api";
import { tracingState } from "./tracing-state.js";

/** Requests whose spans would be noise: probes and scrapes. */
const UNTRACED_PATHS = ["/healthz", "/readyz", "/metrics"];

type Env = Record<string, string | undefined>;

/** Whether the environment asks for traces, by the standard OTEL_* variables. */
export function tracingRequested(env: Env = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "otlp")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (!exporters.includes("otlp")) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** The OTLP protocol for traces: http/protobuf (the specification's default) or http/json. */
export function tracesProtocol(env: Env = process.env): string {
  return (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || "http/protobuf")
    .trim()
    .toLowerCase();
}

function untraced(url: string | undefined): boolean {
  if (!url) return false;
  const path = url.split("?")[0]!.toLowerCase();
  return UNTRACED_PATHS.includes(path);
}

/** OpenTelemetry's own problems (an unreachable collector, say), as JSON lines on stderr. */
function stderrLogger(): DiagLogger {
  const write =
    (level: number) =>
    (message: string, ...args: unknown[]) => {
      const detail = args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(" ");
      process.stderr.write(
        `${JSON.stringify({ level, time: Date.now(), msg: `opentelemetry: ${message}${detail ? ` ${detail}` : ""}` })}\n`,
      );
    };
  const none = () => {};
  return { error: write(50), warn: write(40), info: write(30), debug: none, verbose: none };
}

function startTracing(env: Env): void {
  const protocol = tracesProtocol(env);
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    process.stderr.write(
      `${JSON.stringify({
        level: 40,
        time: Date.now(),
        msg: `tracing off: OTLP protocol ${JSON.stringify(protocol)} is not supported; use http/protobuf or http/json`,
      })}\n`,
    );
    return;
  }
  const require = createRequire(import.meta.url);
  const api = require("@opentelemetry/api") as typeof import("@opentelemetry/api");
  const level = (env.OTEL_LOG_LEVEL ?? "warn").trim().toUpperCase() as keyof typeof api.DiagLogLevel;
  api.diag.setLogger(stderrLogger(), api.DiagLogLevel[level] ?? api.DiagLogLevel.WARN);

  const { NodeTracerProvider, BatchSpanProcessor } =
    require("@opentelemetry/sdk-trace-node") as typeof import("@opentelemetry/sdk-trace-node");
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } =
    require("@opentelemetry/resources") as typeof import("@opentelemetry/resources");
  const { OTLPTraceExporter } =
    protocol === "http/json"
      ? (require("@opentelemetry/exporter-trace-otlp-http") as typeof import("@opentelemetry/exporter-trace-otlp-http"))
      : (require("@opentelemetry/exporter-trace-otlp-proto") as typeof import("@opentelemetry/exporter-trace-otlp-proto"));
  const { registerInstrumentations } =
    require("@opentelemetry/instrumentation") as typeof import("@opentelemetry/instrumentation");
  const { HttpInstrumentation } =
    require("@opentelemetry/instrumentation-http") as typeof import("@opentelemetry/instrumentation-http");
  const { PgInstrumentation } =
    require("@opentelemetry/instrumentation-pg") as typeof import("@opentelemetry/instrumentation-pg");
  const { FastifyOtelInstrumentation } = require("@fastify/otel") as typeof import("@fastify/otel");

  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the env detector) win over our default name.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ "service.name": "gateway" }))
    .merge(detectResources({ detectors: [envDetector] }));
  // The exporter reads the endpoint, headers, timeout and compression from OTEL_EXPORTER_OTLP_*;
  // the batch processor OTEL_BSP_*; the provider the sampler (OTEL_TRACES_SAMPLER).
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => untraced(request.url),
        // Outgoing calls get spans inside a request's trace only (not the exporter's own, nor
        // background ones).
        requireParentforOutgoingSpans: true,
      }),
      // Statements outside a request (migrations, the change feed's LISTEN, sweeps) make no
      // trace of their own.
      new PgInstrumentation({ requireParentSpan: true }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (route) => untraced(route.url),
        // The hooks that work before the handler (authentication, the idempotency claim, the
        // input guard); the later ones' statements still nest under the request span.
        instrumentHooks: ["onRequest", "preParsing", "preValidation", "preHandler"],
      }),
    ],
  });
  // The require hooks see CommonJS `require` calls only, and src/db imports pg as an ES module
  // (a plain `import` of pg is not seen: tried on Node 20). Loaded here through require, pg is
  // patched whatever else loads it, and the ES import reuses this same module.
  require("pg");

  tracingState.enabled = true;
  tracingState.flush = () => provider.forceFlush();
}

if (tracingRequested()) startTracing(process.env);
