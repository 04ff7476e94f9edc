// GraphQL's metrics and spans, as one yoga plugin (listed first in src/graphql/yoga.ts, so its
// hooks see every phase and its parse wrapper sits under the other plugins'). Timings are taken
// in envelop's hooks, which fire whatever executes the operation: graphql-js or graphql-jit
// (src/graphql/jit.ts), which replaces the execute function but not the hooks around it.
// - gateway_graphql_operations_total{operation,type,outcome}: outcome "success" (no errors),
//   "error" (executed, with errors), "rejected" (refused before or instead of execution: a
//   syntax error, validation, a limit, the rate limiter, a failed authentication);
// - gateway_graphql_phase_duration_seconds{phase,operation}: parse (cache lookups included),
//   validate, execute (the onExecute hooks included: cost limit, rate limit, audit);
// - the document cache's hits and misses (a miss is a document actually parsed; a syntax error
//   yoga's cache remembers is a hit).
// Spans (only when tracing is on): graphql.parse, graphql.validate and "<type> <name>" for the
// execution, made active around each phase so that the statements' spans nest under them.
import { type Span, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { type DocumentNode, type ExecutionResult, getOperationAST } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { type Metrics, metrics as processMetrics } from "./metrics.js";
import { tracingState } from "./tracing-state.js";

type OperationInfo = { name: string | undefined; label: string; type: string };

const UNPARSED: OperationInfo = { name: undefined, label: "(unparsed)", type: "unknown" };

export function useObservability(metrics: Metrics = processMetrics): Plugin {
  // Parsed documents are cached and reused, so is what is derived from them: nothing is
  // computed twice for the same document and operation name.
  const infos = new WeakMap<DocumentNode, Map<string, OperationInfo>>();
  const infoOf = (document: DocumentNode, operationName: string | null | undefined): OperationInfo => {
    let byName = infos.get(document);
    if (!byName) {
      byName = new Map();
      infos.set(document, byName);
    }
    const key = operationName ?? "";
    let info = byName.get(key);
    if (!info) {
      const operation = getOperationAST(document, operationName);
      const name = operation?.name?.value;
      info = {
        name,
        label: operation ? metrics.operationNames.label(name) : "(unknown)",
        type: operation?.operation ?? "unknown",
      };
      byName.set(key, info);
    }
    return info;
  };
  const count = (info: OperationInfo, outcome: "success" | "error" | "rejected") =>
    metrics.graphqlOperations.series(info.label, info.type, outcome).inc();
  const observe = (phase: "parse" | "validate" | "execute", info: OperationInfo, started: number) =>
    metrics.graphqlPhases.series(phase, info.label).observe((performance.now() - started) / 1000);
  const tracer = tracingState.enabled ? trace.getTracer("gateway-graphql") : undefined;
  const seen = new WeakSet<DocumentNode>();
  // Set by the parse hook's end; a document whose parse error yoga's cache rethrows never gets
  // there (the cache throws before parsing), so the parse instrumentation counts it instead.
  // Parsing is synchronous: nothing can run between the two.
  let parseReported = false;

  // Operations validated, by context: when building the context fails (authentication, in
  // src/graphql/yoga.ts), the operation is counted as rejected under its name.
  const validated = new WeakMap<object, OperationInfo>();

  const plugin: Plugin = {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context }) => {
        count(validated.get(context) ?? UNPARSED, "rejected");
      });
    },
    onParse({ context }) {
      const started = performance.now();
      return ({ result }) => {
        parseReported = true;
        if (!result || result instanceof Error) {
          metrics.documentCache.misses += 1;
          observe("parse", UNPARSED, started);
          count(UNPARSED, "rejected");
          return;
        }
        const document = result as DocumentNode;
        // graphql's parse makes new objects: a document seen before came from the cache.
        if (seen.has(document)) metrics.documentCache.hits += 1;
        else {
          metrics.documentCache.misses += 1;
          seen.add(document);
        }
        const params = (context as { params?: { operationName?: string | null } }).params;
        const info = infoOf(document, params?.operationName);
        observe("parse", info, started);
        if (tracer) describeSpan(trace.getActiveSpan(), info);
      };
    },
    onValidate({ context, params }) {
      const started = performance.now();
      return ({ valid }) => {
        const operationName = (context as { params?: { operationName?: string | null } }).params
          ?.operationName;
        const info = infoOf(params.documentAST, operationName);
        observe("validate", info, started);
        if (valid) {
          validated.set(context, info);
          return;
        }
        count(info, "rejected");
        if (tracer)
          trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: "invalid document" });
      };
    },
    onExecute({ args }) {
      const started = performance.now();
      const info = infoOf(args.document, args.operationName);
      if (tracer) {
        const span = trace.getActiveSpan();
        span?.updateName(info.name ? `${info.type} ${info.name}` : info.type);
        describeSpan(span, info);
      }
      return {
        onExecuteDone({ result }) {
          observe("execute", info, started);
          if (isAsyncIterable(result)) {
            count(info, "success");
            return;
          }
          const { data, errors } = result as ExecutionResult;
          const outcome =
            !errors || errors.length === 0 ? "success" : data === undefined ? "rejected" : "error";
          count(info, outcome);
          if (tracer && outcome !== "success") {
            trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: errors?.[0]?.message });
          }
        },
      };
    },
  };
  const traced = tracer ? spans(tracer) : undefined;
  plugin.instrumentation = {
    ...traced,
    parse: (payload, wrapped) => {
      parseReported = false;
      try {
        return traced ? traced.parse!(payload, wrapped) : wrapped();
      } catch (error) {
        if (!parseReported) {
          metrics.documentCache.hits += 1;
          count(UNPARSED, "rejected");
        }
        throw error;
      }
    },
  };
  return plugin;
}

function describeSpan(span: Span | undefined, info: OperationInfo): void {
  if (!span) return;
  span.setAttribute("graphql.operation.type", info.type);
  if (info.name) span.setAttribute("graphql.operation.name", info.name);
}

/** Each phase in a span of its own, active while the phase runs (its statements nest under it). */
function spans(tracer: Tracer): NonNullable<Plugin["instrumentation"]> {
  const inSpan = <T>(name: string, wrapped: () => T): T =>
    tracer.startActiveSpan(name, (span) => {
      let result: T;
      try {
        result = wrapped();
      } catch (error) {
        fail(span, error);
        throw error;
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => {
            span.end();
            return value;
          },
          (error) => {
            fail(span, error);
            throw error;
          },
        ) as T;
      }
      span.end();
      return result;
    });
  return {
    parse: (_payload, wrapped) => inSpan("graphql.parse", wrapped),
    validate: (_payload, wrapped) => inSpan("graphql.validate", wrapped),
    execute: (_payload, wrapped) => inSpan("graphql.execute", wrapped),
  };
}

function fail(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
  span.end();
}
