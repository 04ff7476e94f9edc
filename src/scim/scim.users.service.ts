// SCIM Users (RFC 7643 §4.1) over the organisation's users: the same rows /v1/users and the graph
// show. The primary e-mail is the user's `email`; `roles` are kept as sent (not the gateway role);
// the enterprise extension is stored whole. A SCIM DELETE deactivates and hides the row instead
// of deleting it, so what the user made (records, catalog items, audit events) keeps its author.
import { isUniqueViolation } from "../db/errors.js";
import { isUuid } from "../db/ids.js";
import { type Sql, type SqlPool, sqlOf } from "../db/sql.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { ApiKeyStore } from "../identity/api-keys.store.js";
import { GroupStore } from "../identity/groups.store.js";
import { type ScimEmail, type User, UserStore } from "../identity/users.store.js";
import type { Viewer } from "../identity/viewer.js";
import {
  compileFilterText,
  compileSort,
  filterMentions,
  getKey,
  isObject,
  type Projection,
  project,
  returns,
  type ScimDocument,
} from "./scim.attributes.js";
import { scimBadRequest, scimConflict } from "./scim.errors.js";
import { applyPatch, checkSafeValue, type PatchOperation } from "./scim.patch.js";
import {
  checkIfMatch,
  etagOf,
  inTransaction,
  type ListQuery,
  MAX_CANDIDATES,
  selectPage,
} from "./scim.query.js";
import { URN, USER_RESOURCE } from "./scim.schemas.js";
import { type GroupRef, narrowUsers, ScimStore } from "./scim.store.js";
import { DELETED_EMAIL_DOMAIN } from "./scim.visibility.js";

/** The columns a SCIM User maps to. */
export type UserFields = {
  userName: string;
  email: string;
  displayName: string;
  active: boolean;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  scimRoles: string[];
  scimEnterprise: Record<string, unknown> | null;
  /** Every address, the primary one marked; null when only `email` was given (or none at all). */
  scimEmails: ScimEmail[] | null;
};

export type Page = { total: number; resources: ScimDocument[] };
export type Written = { document: ScimDocument; version: number };

// ---------------------------------------------------------------------------------------------
// Row → document

export function userDocument(user: User, groups: GroupRef[], base: string): ScimDocument {
  const enterprise = isObject(user.scimEnterprise) ? user.scimEnterprise : null;
  const formatted = [user.givenName, user.familyName].filter((part) => part).join(" ");
  const name = {
    ...(user.givenName ? { givenName: user.givenName } : {}),
    ...(user.familyName ? { familyName: user.familyName } : {}),
    ...(formatted ? { fullName: formatted, formatted } : {}),
  };
  return {
    schemas: enterprise ? [URN.user, URN.enterprise] : [URN.user],
    id: user.id,
    ...(user.externalId !== null ? { externalId: user.externalId } : {}),
    userName: user.userName ?? user.email,
    active: user.active,
    emails: emailList(user.email, user.scimEmails),
    ...(formatted ? { name } : {}),
    displayName: user.displayName,
    ...(user.scimRoles.length > 0 ? { roles: user.scimRoles.map((value) => ({ value })) } : {}),
    ...(enterprise ? { [URN.enterprise]: enterprise } : {}),
    groups: groups.map((group) => ({
      value: group.id,
      display: group.displayName,
      $ref: `${base}/Groups/${group.id}`,
      type: "direct",
    })),
    meta: {
      resourceType: "User",
      created: user.createdAt.toISOString(),
      lastModified: user.updatedAt.toISOString(),
      location: `${base}/Users/${user.id}`,
      version: etagOf(user.version),
    },
  };
}

/**
 * Every address the user has, in the order provisioned; the primary one's value is `email`
 * (which /v1/users and the graph may change too), its type "work" unless one was given, so
 * Entra ID's `emails[type eq "work"]` paths address it. Keys in one order (JSONB reorders
 * them), so two lists compare as JSON.
 */
function emailList(email: string, stored: ScimEmail[] | null): ScimEmail[] {
  const entry = (e: ScimEmail): ScimEmail => ({
    value: e.value,
    ...(e.type !== undefined ? { type: e.type } : {}),
    ...(e.display !== undefined ? { display: e.display } : {}),
    ...(e.primary ? { primary: true as const } : {}),
  });
  const list = stored ?? [];
  const marked = list.find((e) => e.primary);
  const primary = entry({ ...marked, value: email, type: marked?.type ?? "work", primary: true });
  const other = (e: ScimEmail) => (e.value === email ? [] : [entry(e)]);
  if (!marked) return [primary, ...list.flatMap(other)];
  return list.flatMap((e) => (e.primary ? [primary] : other(e)));
}

// ---------------------------------------------------------------------------------------------
// Document → columns (POST, PUT, and PATCH's patched document alike)

const invalid = (message: string) => scimBadRequest("invalidValue", message);
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function optionalString(value: unknown, name: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw invalid(`${name} must be a string`);
  const trimmed = value.trim();
  if (trimmed === "") return null;
  if (trimmed.length > max) throw invalid(`${name} must be at most ${max} characters`);
  if (CONTROL.test(trimmed)) throw invalid(`${name} must not contain control characters`);
  return trimmed;
}

/** Booleans, and the strings "true"/"false" in any case (Entra ID sends "False"). */
export function booleanOf(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value.trim())) {
    return value.trim().toLowerCase() === "true";
  }
  throw invalid(`${name} must be true or false`);
}

/** At most this many addresses per user (RFC 7643 sets no limit; a row should stay small). */
const MAX_EMAILS = 50;

/**
 * All addresses (RFC 7644 §3.5.2.1: an `add` to a multi-valued attribute appends), lower-cased,
 * each value once; the primary is the one marked `primary`, else the `work` one, else the first.
 */
function emailsFrom(value: unknown): ScimEmail[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid("emails must be an array");
  if (value.length > MAX_EMAILS) throw invalid(`emails: at most ${MAX_EMAILS} addresses`);
  const emails = value.map((item, index) => {
    if (!isObject(item)) throw invalid(`emails[${index}] must be an object`);
    const address = optionalString(getKey(item, "value"), `emails[${index}].value`, 320);
    if (address !== null && !EMAIL.test(address))
      throw invalid(`emails: "${address}" is not an e-mail address`);
    if (address?.toLowerCase().endsWith(DELETED_EMAIL_DOMAIN))
      throw invalid(`emails: "${address}" is reserved`);
    return {
      value: address?.toLowerCase() ?? null,
      type: optionalString(getKey(item, "type"), `emails[${index}].type`, 64),
      display: optionalString(getKey(item, "display"), `emails[${index}].display`, 320),
      primary: booleanOf(getKey(item, "primary"), `emails[${index}].primary`) ?? false,
    };
  });
  const usable = emails.filter((e): e is typeof e & { value: string } => e.value !== null);
  const chosen =
    usable.find((e) => e.primary) ?? usable.find((e) => e.type?.toLowerCase() === "work") ?? usable[0];
  const seen = new Set<string>();
  const out: ScimEmail[] = [];
  for (const email of usable) {
    if (seen.has(email.value)) continue;
    seen.add(email.value);
    const primary = email.value === chosen?.value;
    // The primary's type and display are the chosen entry's (a duplicate may come first).
    const from = primary && chosen ? chosen : email;
    out.push({
      value: email.value,
      ...(from.type !== null ? { type: from.type } : {}),
      ...(from.display !== null ? { display: from.display } : {}),
      ...(primary ? { primary: true as const } : {}),
    });
  }
  return out;
}

function rolesOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid("roles must be an array");
  const roles = value.map((item, index) => {
    const role = isObject(item) ? getKey(item, "value") : item;
    const text = optionalString(role, `roles[${index}].value`, 255);
    if (text === null) throw invalid(`roles[${index}].value must be a non-empty string`);
    return text;
  });
  return [...new Set(roles)];
}

function enterpriseOf(value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw invalid(`${URN.enterprise} must be an object`);
  // Stored whole, as sent: no key that could reach a prototype (`constructor`, `__proto__`…).
  checkSafeValue(value, URN.enterprise);
  const out = { ...value };
  // Entra ID sends the manager as a bare id; RFC 7643 §4.3 makes it {value, $ref, displayName}.
  for (const key of Object.keys(out)) {
    if (key.toLowerCase() === "manager" && typeof out[key] === "string") {
      out[key] = out[key] === "" ? null : { value: out[key] };
    }
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * The columns of a SCIM User document. Attributes left out are cleared (RFC 7644 §3.5.1), except
 * `active`, which keeps its value (a PUT that omits it must not reactivate anyone).
 */
export function userFields(doc: unknown, current: User | null): UserFields {
  if (!isObject(doc)) throw scimBadRequest("invalidSyntax", "The body must be a User JSON object");
  const userName = optionalString(getKey(doc, "userName"), "userName", 255);
  if (userName === null) throw invalid("userName is required");
  const nameValue = getKey(doc, "name");
  if (nameValue !== undefined && nameValue !== null && !isObject(nameValue))
    throw invalid("name must be an object");
  const name = isObject(nameValue) ? nameValue : {};
  const givenName = optionalString(getKey(name, "givenName"), "name.givenName", 200);
  const familyName = optionalString(getKey(name, "familyName"), "name.familyName", 200);
  const formatted = optionalString(getKey(name, "formatted"), "name.formatted", 400);
  const displayName =
    optionalString(getKey(doc, "displayName"), "displayName", 256) ??
    formatted ??
    ([givenName, familyName].filter((part) => part).join(" ") || userName);
  const emails = emailsFrom(getKey(doc, "emails"));
  let email = emails.find((e) => e.primary)?.value ?? null;
  if (email === null && EMAIL.test(userName)) email = userName.toLowerCase();
  if (email === null)
    throw invalid("emails: a user needs an e-mail address (or an e-mail address as userName)");
  if (email.endsWith(DELETED_EMAIL_DOMAIN)) throw invalid(`emails: "${email}" is reserved`);
  return {
    userName,
    email,
    scimEmails: emails.length > 0 ? emails : null,
    displayName,
    active: booleanOf(getKey(doc, "active"), "active") ?? current?.active ?? true,
    externalId: optionalString(getKey(doc, "externalId"), "externalId", 255),
    givenName,
    familyName,
    scimRoles: rolesOf(getKey(doc, "roles")),
    scimEnterprise: enterpriseOf(getKey(doc, URN.enterprise)),
  };
}

/** A document's `id`, when it names one, must be the resource's own (RFC 7644 §3.5.1). */
export function checkSameId(doc: unknown, id: string): void {
  const given = isObject(doc) ? getKey(doc, "id") : undefined;
  if (given !== undefined && given !== null && given !== id) {
    throw scimBadRequest("mutability", `id is read-only: it is ${id}, not ${String(given)}`);
  }
}

function unchanged(user: User, fields: UserFields): boolean {
  return (
    (user.userName ?? user.email) === fields.userName &&
    user.email === fields.email &&
    user.displayName === fields.displayName &&
    user.active === fields.active &&
    user.externalId === fields.externalId &&
    user.givenName === fields.givenName &&
    user.familyName === fields.familyName &&
    JSON.stringify(user.scimRoles) === JSON.stringify(fields.scimRoles) &&
    JSON.stringify(user.scimEnterprise ?? null) === JSON.stringify(fields.scimEnterprise) &&
    JSON.stringify(emailList(user.email, user.scimEmails)) ===
      JSON.stringify(emailList(fields.email, fields.scimEmails))
  );
}

// ---------------------------------------------------------------------------------------------

export class ScimUserService {
  private readonly sql: SqlPool;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
    /** Absolute URL of the SCIM base, for `meta.location` and `$ref`s. */
    private readonly base: string,
  ) {
    this.sql = sqlOf(prisma);
  }

  private get organizationId(): string {
    return this.viewer.organization.id;
  }

  async list(query: ListQuery, p: Projection): Promise<Page> {
    this.viewer.require("scim");
    const filter = query.filter === undefined ? null : compileFilterText(USER_RESOURCE, query.filter);
    const sort = query.sortBy ? compileSort(USER_RESOURCE, query.sortBy, query.sortOrder) : null;
    const withGroups = returns(p, "groups");
    const scim = new ScimStore(this.sql);
    if (!filter && !sort) {
      const { items, total } = await scim.usersPage(this.organizationId, query.startIndex - 1, query.count);
      const groups = withGroups
        ? await this.groupsOf(
            this.sql,
            items.map((r) => r.id),
          )
        : new Map();
      return { total, resources: items.map((row) => project(this.document(row, groups.get(row.id)), p)) };
    }
    const narrowed = filter ? narrowUsers(filter) : undefined;
    const rows = await scim.userCandidates(this.organizationId, narrowed, MAX_CANDIDATES + 1);
    if (rows.length > MAX_CANDIDATES) {
      throw scimBadRequest(
        "tooMany",
        `The filter or sort needs more than ${MAX_CANDIDATES} users evaluated; narrow it (userName, externalId, emails or id eq)`,
      );
    }
    const evaluateGroups = filterMentions(filter, "groups") || sort?.steps[0]?.key === "groups";
    const early = evaluateGroups
      ? await this.groupsOf(
          this.sql,
          rows.map((r) => r.id),
        )
      : null;
    const candidates = rows.map((row) => ({ row, doc: this.document(row, early?.get(row.id)) }));
    const { total, page } = selectPage(candidates, filter, sort, query);
    const late =
      !early && withGroups
        ? await this.groupsOf(
            this.sql,
            page.map((c) => c.row.id),
          )
        : null;
    return {
      total,
      resources: page.map((c) => project(late ? this.document(c.row, late.get(c.row.id)) : c.doc, p)),
    };
  }

  async get(id: string): Promise<Written> {
    this.viewer.require("scim");
    const user = isUuid(id) ? await new ScimStore(this.sql).visibleUser(this.organizationId, id) : undefined;
    if (!user) throw new NotFoundError(`User ${id} not found`);
    return this.written(this.sql, user);
  }

  async create(body: unknown): Promise<Written> {
    this.viewer.require("scim");
    const fields = userFields(body, null);
    return inTransaction(this.sql, async (tx) => {
      await this.assertUnique(tx, fields, null);
      const user = await this.unique(() =>
        new UserStore(tx).insert(this.organizationId, { role: "member", ...fields }),
      );
      return this.written(tx, user, []);
    });
  }

  async replace(id: string, body: unknown, ifMatch: string | undefined): Promise<Written> {
    this.viewer.require("scim");
    return inTransaction(this.sql, async (tx) => {
      const user = await this.lock(tx, id);
      checkIfMatch(ifMatch, user.version);
      checkSameId(body, user.id);
      return this.save(tx, user, userFields(body, user));
    });
  }

  async patch(id: string, operations: PatchOperation[], ifMatch: string | undefined): Promise<Written> {
    this.viewer.require("scim");
    return inTransaction(this.sql, async (tx) => {
      const user = await this.lock(tx, id);
      checkIfMatch(ifMatch, user.version);
      const groups = (await this.groupsOf(tx, [user.id])).get(user.id) ?? [];
      const patched = applyPatch(USER_RESOURCE, this.document(user, groups), operations, user.id);
      return this.save(tx, user, userFields(patched, user), groups);
    });
  }

  /**
   * Deactivates and hides the user: 404 from then on; its name and e-mail are free again. It
   * leaves its groups (they get new versions) and its API keys are revoked.
   */
  async delete(id: string, ifMatch: string | undefined): Promise<void> {
    this.viewer.require("scim");
    await inTransaction(this.sql, async (tx) => {
      const user = await this.lock(tx, id);
      checkIfMatch(ifMatch, user.version);
      await this.assertOwnerRemains(tx, user, false);
      await new UserStore(tx).update(this.organizationId, user.id, {
        active: false,
        email: `${user.id}${DELETED_EMAIL_DOMAIN}`,
        scimEmails: null,
        userName: null,
        externalId: null,
      });
      await new GroupStore(tx).removeFromAllGroups(user.id);
      await new ApiKeyStore(tx).revokeAllOfUser(user.id);
    });
  }

  private async save(tx: Sql, user: User, fields: UserFields, groups?: GroupRef[]): Promise<Written> {
    if (unchanged(user, fields)) return this.written(tx, user, groups);
    await this.assertUnique(tx, fields, user.id);
    await this.assertOwnerRemains(tx, user, fields.active);
    const updated = await this.unique(() => new UserStore(tx).update(this.organizationId, user.id, fields));
    if (!updated) throw new NotFoundError(`User ${user.id} not found`);
    // The user's groups show its displayName as `members[].display`: their versions change too.
    if (user.displayName !== fields.displayName) {
      await new GroupStore(tx).bumpGroupsOf(this.organizationId, user.id);
    }
    return this.written(tx, updated, groups);
  }

  private document(user: User, groups: GroupRef[] | undefined): ScimDocument {
    return userDocument(user, groups ?? [], this.base);
  }

  private async written(db: Sql, user: User, groups?: GroupRef[]): Promise<Written> {
    const list = groups ?? (await this.groupsOf(db, [user.id])).get(user.id) ?? [];
    return { document: this.document(user, list), version: user.version };
  }

  /** The user, locked until the transaction ends (its groups key-share locked first). */
  private async lock(tx: Sql, id: string): Promise<User> {
    const user = isUuid(id) ? await new ScimStore(tx).lockUser(this.organizationId, id) : undefined;
    if (!user) throw new NotFoundError(`User ${id} not found`);
    return user;
  }

  private groupsOf(db: Sql, userIds: string[]): Promise<Map<string, GroupRef[]>> {
    return new ScimStore(db).groupsOfUsers(this.organizationId, userIds);
  }

  /**
   * userName is unique per organisation case-insensitively (a user without one answers to its
   * e-mail); the e-mail and externalId are unique too. 409 uniqueness names the clash.
   */
  private async assertUnique(tx: Sql, fields: UserFields, selfId: string | null): Promise<void> {
    const clash = await new ScimStore(tx).userClash(this.organizationId, fields, selfId);
    if (!clash) return;
    if (clash.userName.toLowerCase() === fields.userName.toLowerCase()) {
      throw scimConflict(`userName ${fields.userName} is already taken`);
    }
    if (clash.email === fields.email) throw scimConflict(`A user with e-mail ${fields.email} already exists`);
    throw scimConflict(`externalId ${fields.externalId} is already taken`);
  }

  /** The organisation keeps at least one active owner: SCIM may not deactivate or delete the last. */
  private async assertOwnerRemains(tx: Sql, user: User, active: boolean): Promise<void> {
    if (active || !user.active || user.role !== "owner") return;
    const others = await new UserStore(tx).countActiveOwners(this.organizationId, user.id);
    if (others === 0) {
      throw new ConflictError("The organisation's last active owner cannot be deactivated or deleted");
    }
  }

  /** A unique index that a concurrent write beat us to is a 409 too. */
  private async unique<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) throw scimConflict("userName, e-mail or externalId is already taken");
      throw error;
    }
  }
}
