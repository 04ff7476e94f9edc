// The finishing pass over the OpenAPI document that @fastify/swagger builds from the routes' zod
// schemas, so that both published documents (/openapi.json and /api-swagger/json) are valid
// OpenAPI 3.1 that Redocly lints without errors (`npm run lint:openapi`, redocly.yaml):
// - wildcard routes (`/api/v1/catalog/list/*`) become a named `{path}` parameter (`{*}` is not
//   a valid template);
// - `servers` names the server the document is served from;
// - every operation has an operationId (the route's own, else method and path);
// - SCIM's operations get their RFC 7643/7644 bodies (User, Group, ListResponse, PatchOp,
//   SearchRequest) and error responses, which their zod schemas leave open (`z.unknown()`:
//   validation is SCIM's own, with SCIM's error shape);
// - the execution endpoints list the CSV and Arrow media types their Accept header selects;
// - components no operation references are left out.
import { ARROW, CSV } from "../exec/result-formats.js";

type Json = Record<string, unknown>;
export type OpenApiDocument = {
  openapi?: string;
  servers?: Array<{ url: string; description?: string }>;
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; [key: string]: unknown };
  [key: string]: unknown;
};

const METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
const SCIM_PREFIX = "/api/v1/scim/v2";
const SCIM_JSON = "application/scim+json";
const EXECUTION_PATHS = new Set(["/api/v1/exec/sql", "/api/v1/exec/script", "/api/v1/exec/block"]);

export function finishDocument(input: OpenApiDocument): OpenApiDocument {
  const document: OpenApiDocument = structuredClone(input);
  // Relative to the document's own URL (OpenAPI 3.1 §4.8.5): right behind any host or proxy.
  document.servers = [{ url: "/", description: "This server" }];
  const schemas = { ...(document.components?.schemas ?? {}), ...SCIM_SCHEMAS };
  const paths: NonNullable<OpenApiDocument["paths"]> = {};
  for (const [rawPath, item] of Object.entries(document.paths ?? {})) {
    const path = rawPath.replaceAll("{*}", "{path}");
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method) || typeof operation !== "object" || operation === null) continue;
      const op = operation as Json;
      renameWildcard(op);
      op.operationId ??= operationIdOf(method, path);
      if (path.startsWith(SCIM_PREFIX)) documentScim(method, path, op);
      if (EXECUTION_PATHS.has(path)) addResultMediaTypes(op);
    }
    paths[path] = item;
  }
  document.paths = paths;
  document.components = { ...(document.components ?? {}), schemas: referencedOnly(schemas, document) };
  return document;
}

/** The wildcard's parameter, `*` in Fastify, is `path` in the document. */
function renameWildcard(operation: Json): void {
  for (const parameter of (operation.parameters ?? []) as Json[]) {
    if (parameter.in === "path" && parameter.name === "*") {
      parameter.name = "path";
      parameter.description ??= "The catalog path, namespace first, URL-encoded; its slashes stay slashes";
    }
  }
}

/** `GET /api/v1/catalog/list/{path}` → `getApiV1CatalogListByPath`; unique as paths are. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split("/")
    .filter(Boolean)
    .map((segment) => {
      const parameter = /^\{(.+)\}$/.exec(segment)?.[1];
      const text = parameter ? `by ${parameter}` : segment;
      return text
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((w) => w[0]?.toUpperCase() + w.slice(1))
        .join("");
    });
  return `${method.toLowerCase()}${words.join("")}`;
}

function addResultMediaTypes(operation: Json): void {
  const ok = (operation.responses as Json | undefined)?.["200"] as Json | undefined;
  if (!ok) return;
  ok.content ??= {};
  const content = ok.content as Json;
  content[CSV] = {
    schema: {
      type: "string",
      description: "A header row of column names, then one line per row (RFC 4180); values as in JSON",
    },
  };
  content[ARROW] = {
    schema: {
      type: "string",
      format: "binary",
      description: "An Arrow IPC stream: the schema, then one record batch per batch of rows",
    },
  };
  ok.description =
    "The result set, in the format the Accept header selects: application/json (default), text/csv or application/vnd.apache.arrow.stream (docs/semantic.md)";
}

// ---- SCIM (RFC 7643 resources, RFC 7644 messages) ------------------------------------------------

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const scimContent = (schema: unknown) => ({ [SCIM_JSON]: { schema }, "application/json": { schema } });
const scimError = (description: string) => ({ description, content: scimContent(ref("ScimError")) });

const SCIM_SCHEMAS: Record<string, unknown> = {
  ScimMeta: {
    type: "object",
    properties: {
      resourceType: { type: "string" },
      created: { type: "string", format: "date-time" },
      lastModified: { type: "string", format: "date-time" },
      location: { type: "string", format: "uri" },
      version: { type: "string", description: 'The ETag, e.g. W/"3"' },
    },
  },
  ScimUser: {
    type: "object",
    description: "urn:ietf:params:scim:schemas:core:2.0:User, with the enterprise extension",
    required: ["schemas", "userName"],
    properties: {
      schemas: { type: "array", items: { type: "string" } },
      id: { type: "string", readOnly: true },
      externalId: { type: "string" },
      userName: { type: "string" },
      name: {
        type: "object",
        properties: {
          formatted: { type: "string" },
          givenName: { type: "string" },
          familyName: { type: "string" },
        },
      },
      displayName: { type: "string" },
      active: { type: "boolean" },
      emails: {
        type: "array",
        items: {
          type: "object",
          properties: {
            value: { type: "string" },
            type: { type: "string" },
            primary: { type: "boolean" },
          },
        },
      },
      groups: {
        type: "array",
        readOnly: true,
        items: {
          type: "object",
          description: "Each with value, display and $ref (the group's URL)",
          properties: { value: { type: "string" }, display: { type: "string" } },
        },
      },
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { type: "object" },
      meta: ref("ScimMeta"),
    },
  },
  ScimGroup: {
    type: "object",
    description: "urn:ietf:params:scim:schemas:core:2.0:Group",
    required: ["schemas", "displayName"],
    properties: {
      schemas: { type: "array", items: { type: "string" } },
      id: { type: "string", readOnly: true },
      externalId: { type: "string" },
      displayName: { type: "string" },
      members: {
        type: "array",
        items: {
          type: "object",
          properties: {
            value: { type: "string" },
            display: { type: "string" },
            type: { type: "string", description: '"USER" in output; any case on input' },
          },
        },
      },
      meta: ref("ScimMeta"),
    },
  },
  ScimListResponse: {
    type: "object",
    description: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
    required: ["schemas", "totalResults", "Resources"],
    properties: {
      schemas: { type: "array", items: { type: "string" } },
      totalResults: { type: "integer" },
      startIndex: { type: "integer" },
      itemsPerPage: { type: "integer" },
      Resources: { type: "array", items: { type: "object" } },
    },
  },
  ScimPatchOp: {
    type: "object",
    description: "urn:ietf:params:scim:api:messages:2.0:PatchOp (RFC 7644 §3.5.2)",
    required: ["schemas", "Operations"],
    properties: {
      schemas: { type: "array", items: { type: "string" } },
      Operations: {
        type: "array",
        items: {
          type: "object",
          required: ["op"],
          properties: {
            op: { type: "string", description: "add, replace or remove (any case)" },
            path: { type: "string" },
            value: {},
          },
        },
      },
    },
  },
  ScimSearchRequest: {
    type: "object",
    description: "urn:ietf:params:scim:api:messages:2.0:SearchRequest (RFC 7644 §3.4.3)",
    properties: {
      schemas: { type: "array", items: { type: "string" } },
      filter: { type: "string" },
      startIndex: { type: "integer" },
      count: { type: "integer" },
      sortBy: { type: "string" },
      sortOrder: { type: "string" },
      attributes: { type: "array", items: { type: "string" } },
      excludedAttributes: { type: "array", items: { type: "string" } },
    },
  },
  ScimDeleted: {
    type: "object",
    description: "Seed 003's answer to a DELETE",
    properties: { status: { type: "string", enum: ["200"] } },
  },
  ScimError: {
    type: "object",
    description: "urn:ietf:params:scim:api:messages:2.0:Error (RFC 7644 §3.12)",
    required: ["schemas", "status"],
    properties: {
      schemas: { type: "array", items: { type: "string" } },
      status: { type: "string", description: "The HTTP status, as a string" },
      scimType: { type: "string", description: "invalidFilter, invalidSyntax, uniqueness, invalidValue…" },
      detail: { type: "string" },
    },
  },
};

function documentScim(method: string, path: string, op: Json): void {
  const rest = path.slice(SCIM_PREFIX.length);
  const resource = /^\/(Users|Groups)/.exec(rest)?.[1];
  const schema =
    resource === "Users" ? ref("ScimUser") : resource === "Groups" ? ref("ScimGroup") : undefined;
  op.responses ??= {};
  const responses = op.responses as Json;
  const set = (status: string, value: unknown) => {
    responses[status] = value;
  };
  const isItem = /\/\{id\}$/.test(rest);
  const isSearch = rest.endsWith("/.search");
  if (schema) {
    if (method === "post" && isSearch) {
      op.requestBody = { required: true, content: scimContent(ref("ScimSearchRequest")) };
      set("200", { description: "The matching resources", content: scimContent(ref("ScimListResponse")) });
    } else if (method === "get" && !isItem) {
      set("200", { description: "The matching resources", content: scimContent(ref("ScimListResponse")) });
    } else if (method === "post") {
      op.requestBody = { required: true, content: scimContent(schema) };
      set("201", { description: "Created; Location and ETag headers", content: scimContent(schema) });
      set("409", scimError("uniqueness: the userName or displayName is taken"));
    } else if (method === "get") {
      set("200", { description: "The resource, with its ETag", content: scimContent(schema) });
      set("304", { description: "Not modified (If-None-Match matched the ETag)" });
    } else if (method === "put" || method === "patch") {
      op.requestBody = {
        required: true,
        content: scimContent(method === "put" ? schema : ref("ScimPatchOp")),
      };
      set("200", { description: "The changed resource, with its ETag", content: scimContent(schema) });
      set("409", scimError("uniqueness: the userName or displayName is taken"));
      set("412", scimError("If-Match does not match the current ETag (sent in the ETag header)"));
    } else if (method === "delete") {
      set("200", { description: 'Deleted: {"status": "200"}', content: scimContent(ref("ScimDeleted")) });
      set("412", scimError("If-Match does not match the current ETag (sent in the ETag header)"));
    }
  } else {
    const ok = responses["200"] as Json | undefined;
    if (!ok) set("200", { description: "The discovery document", content: scimContent({ type: "object" }) });
  }
  set("400", scimError("invalidFilter, invalidSyntax, invalidValue…"));
  set("401", scimError("No or an invalid API key"));
  set("403", scimError("The API key lacks the scim scope"));
  if (isItem || schema) set("404", scimError("No such resource in the organisation"));
  // @fastify/swagger's placeholder for routes without response schemas says nothing.
  const placeholder = responses["200"] as Json | undefined;
  if (placeholder?.description === "Default Response" && !placeholder.content) {
    placeholder.content = scimContent({ type: "object" });
  }
}

/** The document without the component schemas none of its operations uses. */
export function withoutUnusedSchemas(document: OpenApiDocument): OpenApiDocument {
  const schemas = document.components?.schemas ?? {};
  return {
    ...document,
    components: { ...(document.components ?? {}), schemas: referencedOnly(schemas, document) },
  };
}

/** The schemas some operation (or another referenced schema) refers to, nothing else. */
function referencedOnly(
  schemas: Record<string, unknown>,
  document: OpenApiDocument,
): Record<string, unknown> {
  const keep = new Set<string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (key === "$ref" && typeof child === "string" && child.startsWith("#/components/schemas/")) {
          const name = decodeURIComponent(child.slice("#/components/schemas/".length));
          if (!keep.has(name) && name in schemas) {
            keep.add(name);
            visit(schemas[name]);
          }
        } else visit(child);
      }
    }
  };
  visit(document.paths);
  return Object.fromEntries(Object.entries(schemas).filter(([name]) => keep.has(name)));
}
