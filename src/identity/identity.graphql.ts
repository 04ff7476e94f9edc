// Organisations, users, API keys and the viewer in the graph. Users and organisations are
// loadable nodes: a field that names one returns its id, and the request's DataLoader fetches
// every id named in one statement.
import { builder } from "../graphql/builder.js";
import type { GraphQLContext } from "../graphql/context.js";
import type { ApiKeySummary, CreatedApiKey } from "./api-keys.service.js";
import { ALL_SCOPES, SCOPE_NAMES } from "./scopes.js";

/** Ids as the database spells uuids, so that loaded rows find the keys they were asked for. */
export const lowerCase = (id: string) => id.toLowerCase();

export const OrganizationRef = builder.loadableNode("Organization", {
  description: "A tenant: everything else belongs to exactly one organisation.",
  id: { resolve: (organization) => organization.id, parse: lowerCase },
  load: (ids: string[], ctx: GraphQLContext) => ctx.services.users.organizationsByIds(ids),
  sort: (organization) => organization.id,
  fields: (t) => ({
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const UserRef = builder.loadableNode("User", {
  description: "A member of the organisation.",
  id: { resolve: (user) => user.id, parse: lowerCase },
  load: (ids: string[], ctx: GraphQLContext) => ctx.services.users.byIds(ids),
  sort: (user) => user.id,
  fields: (t) => ({
    userId: t.exposeString("id", { description: "The user's id in REST payloads." }),
    email: t.exposeString("email"),
    displayName: t.exposeString("displayName"),
    role: t.exposeString("role", { description: "owner, admin or member." }),
    externalId: t.exposeString("externalId", {
      nullable: true,
      description: "The caller's own id for the user.",
    }),
    active: t.exposeBoolean("active"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

export const ApiKeyRef = builder.objectRef<ApiKeySummary>("ApiKey");
builder.node(ApiKeyRef, {
  description: "An organisation-scoped API key. Its secret is shown only when it is created.",
  id: { resolve: (key) => key.id },
  loadOne: (id, ctx) => ctx.services.apiKeys.find(id),
  isTypeOf: (value) => typeof value === "object" && value !== null && "prefix" in value && "scopes" in value,
  fields: (t) => ({
    name: t.exposeString("name"),
    prefix: t.exposeString("prefix", { description: "The first characters of the key, to tell keys apart." }),
    scopes: t.exposeStringList("scopes"),
    canActForUsers: t.exposeBoolean("canActForUsers"),
    rateLimitPerMinute: t.exposeInt("rateLimitPerMinute", {
      nullable: true,
      description: "Requests per rate-limit window; null means the server's default.",
    }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    user: t.field({ type: UserRef, resolve: (key) => key.userId }),
  }),
});

const Viewer = builder.objectRef<{ organizationId: string; userId: string; scopes: readonly string[] }>(
  "Viewer",
);
Viewer.implement({
  description: "The caller: the organisation and user of the API key, and what the key may do.",
  fields: (t) => ({
    organization: t.field({ type: OrganizationRef, resolve: (parent) => parent.organizationId }),
    user: t.field({ type: UserRef, resolve: (parent) => parent.userId }),
    scopes: t.stringList({
      description: `The key's scopes; "${ALL_SCOPES}" grants all of them.`,
      resolve: (parent) => [...parent.scopes],
    }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: Viewer,
    resolve: (_root, _args, ctx) => ({
      organizationId: ctx.viewer.organization.id,
      userId: ctx.viewer.user.id,
      scopes: ctx.viewer.scopes,
    }),
  }),
  apiKeys: t.field({
    type: [ApiKeyRef],
    description: "The organisation's API keys (requires org:admin).",
    resolve: (_root, _args, ctx) => ctx.services.apiKeys.list(),
  }),
}));

const ScopeEnum = builder.enumType("ApiKeyScope", {
  description: "What an API key may do. ALL grants every scope, present and future.",
  values: Object.fromEntries([
    ["ALL", { value: ALL_SCOPES }],
    ...SCOPE_NAMES.map((scope) => [scope.replace(/[:]/g, "_").toUpperCase(), { value: scope }]),
  ]),
});

const CreateApiKeyInput = builder.inputType("CreateApiKeyInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    userId: t.globalID({
      for: UserRef,
      description: "The user the key belongs to; the caller when omitted.",
    }),
    scopes: t.field({ type: [ScopeEnum], required: true }),
    expiresAt: t.field({ type: "DateTime" }),
    rateLimitPerMinute: t.int({
      description: "Requests per rate-limit window; the server's default when omitted.",
    }),
    canActForUsers: t.boolean({
      description: "Whether the key may attribute actions with X-Forwarded-User.",
    }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<CreatedApiKey>("CreateApiKeyPayload");
CreateApiKeyPayload.implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, resolve: (payload) => payload.apiKey }),
    secret: t.exposeString("secret", { description: "The key itself. Shown this once; store it safely." }),
  }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    description: "Creates an API key (requires org:admin). The secret is returned once.",
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.apiKeys.create({
        name: input.name,
        userId: input.userId?.id,
        scopes: input.scopes as string[],
        expiresAt: input.expiresAt ?? undefined,
        canActForUsers: input.canActForUsers ?? false,
        rateLimitPerMinute: input.rateLimitPerMinute ?? undefined,
      }),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    description: "Revokes an API key (requires org:admin); requests with it then get 401.",
    args: { id: t.arg.globalID({ required: true, for: ApiKeyRef }) },
    resolve: (_root, { id }, ctx) => ctx.services.apiKeys.revoke(id.id),
  }),
}));
