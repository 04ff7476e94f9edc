// Small fixtures for the catalog tests: REST calls by catalog path, with keys and If-Match.
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { encodePath } from "../../src/catalog/catalog.paths.js";
import { bearer } from "../helpers/app.js";

export const BRIEF = {
  400: "The request was unacceptable, since it didn't pass validation",
  403: "The API key doesn't have permission to perform the request",
  404: "The requested resource doesn't exist",
  412: "The ETag provided doesn't match the current version",
  422: "The request was well-formed but contains semantic errors",
  428: "A required header is missing",
} as const;

export type CallOptions = {
  body?: unknown;
  ifMatch?: string;
  rawUrl?: boolean;
  headers?: Record<string, string>;
};

export function catalogApi(app: FastifyInstance, key: string) {
  const call = (
    method: "GET" | "POST" | "PUT" | "DELETE",
    route: string,
    path: string | null,
    options: CallOptions = {},
  ) =>
    app.inject({
      method,
      url: `/api/v1/catalog/${route}${path === null ? "" : `/${options.rawUrl ? path : encodePath(path)}`}`,
      headers: {
        ...bearer(key),
        ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(options.ifMatch !== undefined ? { "if-match": options.ifMatch } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { payload: JSON.stringify(options.body) } : {}),
    });
  return {
    list: (path: string, options?: CallOptions) => call("GET", "list", path, options),
    get: (path: string, options?: CallOptions) => call("GET", "by-path", path, options),
    createFolder: (body: unknown) => call("POST", "folders", null, { body }),
    createAsset: (body: unknown) => call("POST", "assets", null, { body }),
    updateFolder: (path: string, body: unknown, ifMatch?: string) =>
      call("PUT", "folders", path, { body, ifMatch }),
    updateAsset: (path: string, body: unknown, ifMatch?: string) =>
      call("PUT", "assets", path, { body, ifMatch }),
    deleteFolder: (path: string, ifMatch?: string) => call("DELETE", "folders", path, { ifMatch }),
    deleteAsset: (path: string, ifMatch?: string) => call("DELETE", "assets", path, { ifMatch }),
    call,
  };
}

export type CatalogApi = ReturnType<typeof catalogApi>;

/** The seed's {message, detail} error body, to compare with actual(response). */
export function expectedError(status: keyof typeof BRIEF, detail: string) {
  return { status, body: { message: BRIEF[status], detail } };
}

export function actual(response: LightMyRequestResponse) {
  return { status: response.statusCode, body: response.body ? response.json() : null };
}
