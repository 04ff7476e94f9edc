// The REST transport's single error mapping: any thrown value becomes an AppError, rendered in
// the shape of the surface the URL belongs to. Unknown errors are logged with the request id
// and answered as a bare 500: no stack, no SQL.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import FindMyWay, { type HTTPVersion } from "find-my-way";
import { databaseUnavailableError, isDatabaseUnavailable } from "../db/unavailable.js";
import {
  AppError,
  InternalError,
  MalformedBodyError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors.js";
import { challengeFor } from "./auth.js";
import { surfaceFor } from "./surfaces.js";

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const rendered = surfaceFor(request.url).render(error, request.id);
  if (error instanceof MethodNotAllowedError) reply.header("allow", error.allowed.join(", "));
  if (rendered.status === 401 && !reply.hasHeader("www-authenticate")) {
    reply.header("www-authenticate", challengeFor(request));
  }
  if (error instanceof RateLimitedError || error instanceof ServiceUnavailableError) {
    reply.header("retry-after", String(error.retryAfterSeconds));
  }
  if (rendered.contentType) reply.type(rendered.contentType);
  return reply.code(rendered.status).send(rendered.body);
}

type ValidationIssue = { instancePath?: string; message?: string; params?: Record<string, unknown> };

export function toAppError(error: unknown, limitBytes: number, contentType = ""): AppError | undefined {
  if (error instanceof AppError) return error;
  // An outage is not a bug: 503 + Retry-After, in the surface's shape, whatever route it hit.
  if (isDatabaseUnavailable(error)) return databaseUnavailableError();
  const e = error as Partial<FastifyError> & { validation?: ValidationIssue[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const context = e.validationContext ?? "body";
    const issues = e.validation.map((issue) => ({
      field: [context, ...(issue.instancePath ?? "").split("/").filter(Boolean)].join("."),
      message: issue.message ?? "is invalid",
    }));
    const first = issues[0];
    return new ValidationError(
      issues.length === 1 && first
        ? `${first.field}: ${first.message}`
        : `Invalid request: ${issues.length} problems`,
      issues,
    );
  }
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new PayloadTooLargeError(limitBytes);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new UnsupportedMediaTypeError(contentType.split(";")[0]?.trim() ?? "");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new MalformedBodyError("The body is empty but Content-Type is application/json", [
        { field: "(body)", message: "must be a JSON document" },
      ]);
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return malformedJson(e.message);
  }
  if (error instanceof SyntaxError && e.statusCode === 400) return malformedJson(e.message);
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500 && e.statusCode !== 404) {
    return new AppError("bad_request", e.statusCode, e.message ?? "Bad request");
  }
  return undefined;
}

function malformedJson(message: string | undefined): ValidationError {
  return new MalformedBodyError("The body is not valid JSON", [
    {
      field: "(body)",
      message:
        message?.replace(/^Body is not valid JSON but content-type is set to 'application\/json'$/, "") ||
        "malformed JSON",
    },
  ]);
}

/**
 * Installs the error handler, and a not-found handler that tells "no such path" (404) from
 * "path exists, other method" (405 with Allow) using a shadow router fed by every route.
 */
export function installErrorHandling(app: FastifyInstance, limitBytes: number): void {
  const shadow = FindMyWay<HTTPVersion.V1>({ ignoreTrailingSlash: true });
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      try {
        shadow.on(method as "GET", route.url, () => {});
      } catch {
        // Already known (HEAD twins of GET routes): nothing to add.
      }
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const known = toAppError(error, limitBytes, request.headers["content-type"]);
    if (known instanceof ServiceUnavailableError) {
      request.log.warn({ err: error, requestId: request.id }, "database unavailable");
    }
    if (known) return sendError(request, reply, known);
    request.log.error({ err: error, requestId: request.id }, "unhandled error");
    return sendError(request, reply, new InternalError());
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const allowed = ["GET", "POST", "PUT", "PATCH", "DELETE"].filter(
      (method) => method !== request.method && shadow.find(method as "GET", path) !== null,
    );
    if (allowed.length > 0)
      return sendError(request, reply, new MethodNotAllowedError(request.method, allowed));
    return sendError(request, reply, new NotFoundError(`No route for ${request.method} ${path}`));
  });
}
