// One error hierarchy for every service. Transports map it once each: GraphQL puts `code`
// in `extensions.code`, every REST surface renders its own documented body (src/rest/surfaces.ts).

export type FieldIssue = { field: string; message: string };

export class AppError extends Error {
  constructor(
    /** Machine-readable code, snake_case, as the seeds document them. */
    readonly code: string,
    /** HTTP status for REST transports. */
    readonly status: number,
    message: string,
    /** Structured extra information, safe to show to the caller. */
    readonly details?: Record<string, unknown>,
    /** Per-field problems of a validation failure. */
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, issues: FieldIssue[] = [], details?: Record<string, unknown>) {
    super("validation_error", 400, message, details, issues);
  }
}

/** A body that cannot be parsed at all: always 400, on every surface. */
export class MalformedBodyError extends ValidationError {}

/** Well-formed but semantically invalid input (documented as 422 by some surfaces). */
export class UnprocessableError extends AppError {
  constructor(message: string, issues: FieldIssue[] = [], code = "validation_error") {
    super(code, 422, message, undefined, issues);
  }
}

export type AuthFailure = "missing" | "invalid" | "expired" | "revoked";

export class UnauthenticatedError extends AppError {
  constructor(readonly reason: AuthFailure) {
    const messages: Record<AuthFailure, string> = {
      missing: "No API key provided: send Authorization: Bearer <key>",
      invalid: "API key not found or incorrect",
      expired: "API key has expired",
      revoked: "API key has been revoked",
    };
    super("unauthorized", 401, messages[reason], { reason });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "Insufficient permissions", details?: Record<string, unknown>) {
    super("forbidden", 403, message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(message = "Resource not found", details?: Record<string, unknown>) {
    super("not_found", 404, message, details);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(
    method: string,
    readonly allowed: string[],
  ) {
    super("method_not_allowed", 405, `Method ${method} is not allowed here; allowed: ${allowed.join(", ")}`, {
      allowed,
    });
  }
}

export class ConflictError extends AppError {
  constructor(message = "Resource state conflict", details?: Record<string, unknown>) {
    super("conflict", 409, message, details);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super("payload_too_large", 413, `Request body exceeds the limit of ${limitBytes} bytes`, { limitBytes });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(contentType: string) {
    super(
      "unsupported_media_type",
      415,
      contentType
        ? `Content-Type ${contentType} is not supported; send application/json`
        : "A request body needs a Content-Type; send application/json",
    );
  }
}

export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super("rate_limit_exceeded", 429, `Too many requests; retry after ${retryAfterSeconds} seconds`, {
      retryAfterSeconds,
    });
  }
}

/** A dependency (the database) is down: 503 with Retry-After, the caller may retry as it is. */
export class ServiceUnavailableError extends AppError {
  constructor(
    message = "Service unavailable",
    readonly retryAfterSeconds = 5,
  ) {
    super("service_unavailable", 503, message, { retryAfterSeconds });
  }
}

/** What callers see for any error that is not an AppError: nothing of its internals. */
export class InternalError extends AppError {
  constructor() {
    super("internal_error", 500, "An unexpected error occurred; quote the request id when reporting it");
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** A conditional change whose If-Match no longer names the current version (ETag). */
export class PreconditionFailedError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("precondition_failed", 412, message, details);
  }
}

/** A change that must be conditional (If-Match) but was sent without a condition. */
export class PreconditionRequiredError extends AppError {
  constructor(message = "If-Match header is required") {
    super("precondition_required", 428, message);
  }
}

/** A statement the connection's database refused or failed; the database's own message is the detail. */
export class QueryFailedError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("query_failed", 400, message, details);
  }
}

/** A named connection whose database cannot be reached; never says more than the name. */
export class ConnectionUnavailableError extends AppError {
  constructor(name: string) {
    super("connection_unavailable", 502, `Could not connect to connection: ${name}`);
  }
}

/**
 * A refresh or access token refused (seed 004): 401 like any refused credential (same `reason`,
 * so every surface maps it as it maps API keys), worded for tokens.
 */
export class TokenUnauthenticatedError extends UnauthenticatedError {
  constructor(reason: AuthFailure, message: string) {
    super(reason);
    this.message = message;
  }
}
