// Whether src/observability/tracing.ts started OpenTelemetry in this process. The GraphQL plugin
// and the Fastify hooks read it to add their spans only then: with tracing off they add nothing.
export const tracingState = {
  enabled: false,
  /** Exports the spans still buffered (on shutdown). */
  flush: async (): Promise<void> => {},
};
