// Each REST surface answers errors in the body shape its seed documents. The error itself is
// one AppError; these renderers are the only places that know the shapes.
import {
  type AppError,
  MalformedBodyError,
  RateLimitedError,
  UnauthenticatedError,
  ValidationError,
} from "../errors.js";
import { UnsafeInputError } from "../input-safety.js";

export type RenderedError = { status: number; body: unknown; contentType?: string };
export type Surface = {
  name: string;
  prefix: string;
  render(error: AppError, requestId: string): RenderedError;
};

/** `/v1/entities` (seed 000): details is a list of {field, message}; request_id included. */
const entities: Surface = {
  name: "entities",
  prefix: "/v1/entities",
  render: (error, requestId) => ({
    status: error.status,
    body: {
      error: {
        code: error.code,
        message: error.message,
        details: error.issues.length > 0 ? error.issues : detailsAsList(error),
        request_id: requestId,
      },
    },
  }),
};

/** `/v1/modules` (seed 001): details is an object; per-field problems go in details.fields. */
const modules: Surface = {
  name: "modules",
  prefix: "/v1/modules",
  render: (error) => ({
    status: error.status,
    body: {
      error: {
        code: error instanceof RateLimitedError ? "rate_limited" : error.code,
        message: error.message,
        details: error.issues.length > 0 ? { ...error.details, fields: error.issues } : (error.details ?? {}),
      },
    },
  }),
};

const API_KEY_CODES = {
  missing: "api_key_missing",
  invalid: "api_key_invalid",
  revoked: "api_key_invalid",
  expired: "api_key_expired",
} as const;

/**
 * `/v1/projects` and `/v1/users` (seed 002). The seed lists codes but not a body; we use the
 * same {error:{code,message,details}} envelope as the sibling /v1 surfaces (docs/rest-errors.md).
 * It documents invalid bodies as 422 validation_error.
 */
function projectsSurface(prefix: string): Surface {
  return {
    name: "projects",
    prefix,
    render: (error) => ({
      status: error instanceof ValidationError && !(error instanceof MalformedBodyError) ? 422 : error.status,
      body: {
        error: {
          code: error instanceof UnauthenticatedError ? API_KEY_CODES[error.reason] : error.code,
          message: error.message,
          details:
            error.issues.length > 0 ? { ...error.details, fields: error.issues } : (error.details ?? {}),
        },
      },
    }),
  };
}

/** Brief messages of seed 003's `{message, detail}` shape; `detail` carries the specifics. */
const BRIEF: Record<number, string> = {
  400: "The request was unacceptable, since it didn't pass validation",
  401: "No valid API key was provided",
  403: "The API key doesn't have permission to perform the request",
  404: "The requested resource doesn't exist",
  405: "The method is not allowed for the requested resource",
  409: "The request conflicts with another request",
  412: "The ETag provided doesn't match the current version",
  413: "The request body is too large",
  415: "The request body's media type is not supported",
  422: "The request was well-formed but contains semantic errors",
  428: "A required header is missing",
  429: "Too many requests",
  500: "Something went wrong on our side",
  503: "The service is unavailable",
};

function coginitiSurface(prefix: string): Surface {
  return {
    name: "api",
    prefix,
    render: (error) => ({
      status: error.status,
      body: { message: BRIEF[error.status] ?? error.message, detail: detailText(error) },
    }),
  };
}

/** Seed 004's wording of its three documented statuses; the others keep seed 003's. */
const PUBLIC_API_BRIEF: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized: the token is expired, invalid or incorrect",
  403: "Forbidden: not enough permissions",
};

const TOKEN_CODES = {
  missing: "token_missing",
  invalid: "token_invalid",
  revoked: "token_revoked",
  expired: "token_expired",
} as const;

/**
 * `/api/v2` and the token endpoints (seed 004): seed 003's `{message, detail}` plus a `code`, so
 * a client can tell an expired access token (renew it) from a revoked family (ask for a new
 * refresh token) without parsing prose (docs/rest-errors.md).
 */
function publicApiSurface(prefix: string): Surface {
  return {
    name: "public-api",
    prefix,
    render: (error) => ({
      status: error.status,
      body: {
        message: PUBLIC_API_BRIEF[error.status] ?? BRIEF[error.status] ?? error.message,
        detail: detailText(error),
        code: error instanceof UnauthenticatedError ? TOKEN_CODES[error.reason] : error.code,
      },
    }),
  };
}

/** SCIM 2.0 error schema (RFC 7644 §3.12): status is a string; scimType when one applies. */
const scim: Surface = {
  name: "scim",
  prefix: "/api/v1/scim/v2",
  render: (error) => {
    const scimType = typeof error.details?.scimType === "string" ? error.details.scimType : undefined;
    return {
      status: error.status,
      contentType: "application/scim+json; charset=utf-8",
      body: {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
        status: String(error.status),
        ...(scimType
          ? { scimType }
          : error instanceof ValidationError || error instanceof UnsafeInputError
            ? { scimType: "invalidValue" }
            : {}),
        detail: detailText(error),
      },
    };
  },
};

/** GraphQL-over-HTTP failures that happen before GraphQL runs (bad JSON, too large). */
const graphql: Surface = {
  name: "graphql",
  prefix: "/graphql",
  render: (error) => ({
    status: error.status,
    body: { errors: [{ message: error.message, extensions: { code: graphqlCode(error.code) } }] },
  }),
};

/** Everything else (health, docs, unknown paths): the most complete of the shapes. */
export const defaultSurface: Surface = { ...entities, name: "default", prefix: "/" };

/** Longest prefix first, so /api/v1/scim/v2 wins over /api/v1. */
export const SURFACES: Surface[] = [
  scim,
  entities,
  modules,
  projectsSurface("/v1/projects"),
  projectsSurface("/v1/users"),
  publicApiSurface("/api/v1/tokens"),
  coginitiSurface("/api/v1"),
  publicApiSurface("/api/v2"),
  graphql,
];

export function surfaceFor(url: string): Surface {
  const path = (url.split("?")[0] ?? "/").toLowerCase();
  return SURFACES.find((s) => path === s.prefix || path.startsWith(`${s.prefix}/`)) ?? defaultSurface;
}

/** GraphQL's codes: upper case, with GraphQL's own names for 401 and 429 (`RATE_LIMITED`). */
export function graphqlCode(code: string): string {
  if (code === "unauthorized") return "UNAUTHENTICATED";
  if (code === "rate_limit_exceeded") return "RATE_LIMITED";
  return code.toUpperCase();
}

function detailsAsList(error: AppError): Array<{ field?: string; message: string }> {
  return error.details ? [{ message: error.message }] : [];
}

function detailText(error: AppError): string {
  if (error.issues.length === 0) return error.message;
  return error.issues.map((issue) => `${issue.field}: ${issue.message}`).join("; ");
}
