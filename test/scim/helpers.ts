// A SCIM client over app.inject(): every call carries the key and, with a body,
// Content-Type application/scim+json (as Okta and Entra ID send it).
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { Json } from "../helpers/app.js";

export const BASE = "/api/v1/scim/v2";
export const ABSOLUTE_BASE = `http://localhost:80${BASE}`;
export const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

export type ScimResponse = { status: number; body: Json; headers: LightMyRequestResponse["headers"] };

export type ScimClient = ReturnType<typeof scimClient>;

export function scimClient(app: FastifyInstance, key: string | null) {
  async function call(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ScimResponse> {
    const response = await app.inject({
      method,
      url: `${BASE}${path}`,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/scim+json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return {
      status: response.statusCode,
      body: response.body === "" ? null : response.json(),
      headers: response.headers,
    };
  }
  return {
    call,
    get: (path: string, headers?: Record<string, string>) => call("GET", path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) =>
      call("POST", path, body, headers),
    put: (path: string, body: unknown, headers?: Record<string, string>) => call("PUT", path, body, headers),
    patch: (path: string, operations: unknown[], headers?: Record<string, string>) =>
      call("PATCH", path, { schemas: [PATCH_OP], Operations: operations }, headers),
    delete: (path: string, headers?: Record<string, string>) => call("DELETE", path, undefined, headers),
    /** GET /Users or /Groups with a filter and other parameters, URL-encoded. */
    list: (resource: "Users" | "Groups", params: Record<string, string | number> = {}) =>
      call(
        "GET",
        `/${resource}?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`,
      ),
  };
}

export function user(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER],
    userName,
    emails: [
      { value: userName.includes("@") ? userName : `${userName}@example.com`, primary: true, type: "work" },
    ],
    name: { givenName: "Given", familyName: "Family" },
    active: true,
    ...extra,
  };
}

export function expectScimError(response: ScimResponse, status: number, scimType?: string): void {
  if (response.status !== status || response.body?.status !== String(status)) {
    throw new Error(
      `expected a SCIM ${status} error, got ${response.status}: ${JSON.stringify(response.body)}`,
    );
  }
  if (!String(response.headers["content-type"]).startsWith("application/scim+json")) {
    throw new Error(`expected application/scim+json, got ${response.headers["content-type"]}`);
  }
  if (!response.body.schemas?.includes(ERROR))
    throw new Error(`no Error schema: ${JSON.stringify(response.body)}`);
  if (scimType !== undefined && response.body.scimType !== scimType) {
    throw new Error(`expected scimType ${scimType}, got ${JSON.stringify(response.body)}`);
  }
}
