// The permissions an API key can carry, and the endpoint groups a permission group can grant to
// its members' access tokens (docs/tokens.md). `*` (owner keys) grants every scope, present and
// future; groups never grant `*`.

export const SCOPES = {
  "org:admin": "manage the organisation: users, API keys",
  "users:read": "read the organisation's users",
  "users:write": "change users",
  "records:read": "read modules and records",
  "records:write": "create, change and delete modules and records",
  "catalog:read": "browse the data catalog",
  "catalog:write": "change the data catalog",
  "sql:execute": "run SQL against named connections",
  "semantic:read": "read the semantic layer",
  "semantic:write": "change the semantic layer",
  "entities:read": "read generic entities",
  "entities:write": "change generic entities",
  "projects:read": "read projects and members",
  "projects:write": "change projects and members",
  scim: "provision users and groups over SCIM",
  "usage:read": "read the organisation's database usage (GET /api/v2/databaseusages)",
} as const;

export type Scope = keyof typeof SCOPES;
export const ALL_SCOPES = "*";
export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}
