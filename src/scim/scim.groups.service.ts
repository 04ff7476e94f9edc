// SCIM Groups (RFC 7643 §4.2) over the organisation's groups. Members are the organisation's
// users only (no nested groups). A group's `permissions` belong to the graph's group management
// and are neither shown nor changed here; but joining a group grants them, so adding members
// needs a caller that holds them itself (Viewer.requireGrantable). A user's SCIM document lists
// its groups, so every change of membership or of a group's name bumps the users' versions too.
import { isUniqueViolation } from "../db/errors.js";
import { isUuid } from "../db/ids.js";
import { type Sql, type SqlPool, sqlOf } from "../db/sql.js";
import { NotFoundError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { type Group, GroupStore } from "../identity/groups.store.js";
import { UserStore } from "../identity/users.store.js";
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
import { applyPatch, type PatchOperation } from "./scim.patch.js";
import {
  checkIfMatch,
  etagOf,
  inTransaction,
  type ListQuery,
  MAX_CANDIDATES,
  selectPage,
} from "./scim.query.js";
import { GROUP_RESOURCE, URN } from "./scim.schemas.js";
import { type Member, narrowGroups, ScimStore } from "./scim.store.js";
import { booleanOf, type Page, type Written } from "./scim.users.service.js";

export type GroupFields = {
  displayName: string;
  externalId: string | null;
  description: string | null;
  external: boolean;
  /** User ids, lower-cased, without duplicates. */
  members: string[];
};

export function groupDocument(group: Group, members: Member[], base: string): ScimDocument {
  return {
    schemas: [URN.group],
    id: group.id,
    ...(group.externalId !== null ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(group.description !== null ? { description: group.description } : {}),
    external: group.external,
    members: members.map((member) => ({
      value: member.userId,
      display: member.displayName,
      $ref: `${base}/Users/${member.userId}`,
      // Seed 003 shows "USER"; input accepts any case (membersOf).
      type: "USER",
    })),
    meta: {
      resourceType: "Group",
      created: group.createdAt.toISOString(),
      lastModified: group.updatedAt.toISOString(),
      location: `${base}/Groups/${group.id}`,
      version: etagOf(group.version),
    },
  };
}

const invalid = (message: string) => scimBadRequest("invalidValue", message);

function optionalString(value: unknown, name: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw invalid(`${name} must be a string`);
  const trimmed = value.trim();
  if (trimmed === "") return null;
  if (trimmed.length > max) throw invalid(`${name} must be at most ${max} characters`);
  return trimmed;
}

function membersOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid("members must be an array");
  const ids = value.map((item, index) => {
    if (!isObject(item)) throw invalid(`members[${index}] must be an object`);
    const type = getKey(item, "type");
    if (type !== undefined && type !== null && !(typeof type === "string" && type.toLowerCase() === "user")) {
      throw invalid(`members[${index}]: only users can be members (nested groups are not supported)`);
    }
    const id = getKey(item, "value");
    if (typeof id !== "string" || !isUuid(id.trim())) {
      throw invalid(`members[${index}].value: ${JSON.stringify(id)} is not a user of this organisation`);
    }
    return id.trim().toLowerCase();
  });
  return [...new Set(ids)];
}

/** The columns of a SCIM Group document (POST, PUT, and PATCH's patched document alike). */
export function groupFields(doc: unknown, current: Group | null): GroupFields {
  if (!isObject(doc)) throw scimBadRequest("invalidSyntax", "The body must be a Group JSON object");
  const displayName = optionalString(getKey(doc, "displayName"), "displayName", 200);
  if (displayName === null) throw invalid("displayName is required");
  const externalId = optionalString(getKey(doc, "externalId"), "externalId", 255);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (externalId !== null && /[\u0000-\u001f\u007f]/.test(externalId)) {
    throw invalid("externalId must not contain control characters");
  }
  return {
    displayName,
    externalId,
    description: optionalString(getKey(doc, "description"), "description", 2000),
    external: booleanOf(getKey(doc, "external"), "external") ?? current?.external ?? false,
    members: membersOf(getKey(doc, "members")),
  };
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((id) => set.has(id));
}

export class ScimGroupService {
  private readonly sql: SqlPool;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
    private readonly base: string,
  ) {
    this.sql = sqlOf(prisma);
  }

  private get organizationId(): string {
    return this.viewer.organization.id;
  }

  async list(query: ListQuery, p: Projection): Promise<Page> {
    this.viewer.require("scim");
    const filter = query.filter === undefined ? null : compileFilterText(GROUP_RESOURCE, query.filter);
    const sort = query.sortBy ? compileSort(GROUP_RESOURCE, query.sortBy, query.sortOrder) : null;
    const withMembers = returns(p, "members");
    const scim = new ScimStore(this.sql);
    if (!filter && !sort) {
      const { items, total } = await scim.groupsPage(this.organizationId, query.startIndex - 1, query.count);
      const members = withMembers ? await scim.membersOf(items.map((r) => r.id)) : new Map();
      return { total, resources: items.map((row) => project(this.document(row, members.get(row.id)), p)) };
    }
    const narrowed = filter ? narrowGroups(filter) : undefined;
    const rows = await scim.groupCandidates(this.organizationId, narrowed, MAX_CANDIDATES + 1);
    if (rows.length > MAX_CANDIDATES) {
      throw scimBadRequest(
        "tooMany",
        `The filter or sort needs more than ${MAX_CANDIDATES} groups evaluated; narrow it (displayName, externalId or id eq)`,
      );
    }
    const evaluateMembers = filterMentions(filter, "members") || sort?.steps[0]?.key === "members";
    const early = evaluateMembers ? await scim.membersOf(rows.map((r) => r.id)) : null;
    const candidates = rows.map((row) => ({ row, doc: this.document(row, early?.get(row.id)) }));
    const { total, page } = selectPage(candidates, filter, sort, query);
    const late = !early && withMembers ? await scim.membersOf(page.map((c) => c.row.id)) : null;
    return {
      total,
      resources: page.map((c) => project(late ? this.document(c.row, late.get(c.row.id)) : c.doc, p)),
    };
  }

  /** Members are loaded only when returned: Entra ID reads groups with excludedAttributes=members. */
  async get(id: string, p: Projection | null = null): Promise<Written> {
    this.viewer.require("scim");
    const group = isUuid(id) ? await new GroupStore(this.sql).byId(this.organizationId, id) : undefined;
    if (!group) throw new NotFoundError(`Group ${id} not found`);
    const members = !p || returns(p, "members") ? await this.membersOf(this.sql, group.id) : [];
    return { document: this.document(group, members), version: group.version };
  }

  async create(body: unknown): Promise<Written> {
    this.viewer.require("scim");
    const fields = groupFields(body, null);
    return inTransaction(this.sql, async (tx) => {
      await this.assertUnique(tx, fields, null);
      await this.assertUsers(tx, fields.members);
      const { members, ...columns } = fields;
      const groups = new GroupStore(tx);
      const group = await this.unique(() => groups.insert(this.organizationId, columns));
      // A new group's permissions are the column's default: whatever that grants, members get.
      if (members.length > 0) this.viewer.requireGrantable(group.permissions);
      await groups.addMembers(group.id, members);
      await this.bumpUsers(tx, members);
      return this.written(tx, group);
    });
  }

  async replace(id: string, body: unknown, ifMatch: string | undefined): Promise<Written> {
    this.viewer.require("scim");
    return inTransaction(this.sql, async (tx) => {
      const group = await this.lock(tx, id);
      checkIfMatch(ifMatch, group.version);
      const given = isObject(body) ? getKey(body, "id") : undefined;
      if (given !== undefined && given !== null && given !== group.id) {
        throw scimBadRequest("mutability", `id is read-only: it is ${group.id}, not ${String(given)}`);
      }
      const members = await this.membersOf(tx, group.id);
      return this.save(tx, group, members, groupFields(body, group));
    });
  }

  async patch(id: string, operations: PatchOperation[], ifMatch: string | undefined): Promise<Written> {
    this.viewer.require("scim");
    return inTransaction(this.sql, async (tx) => {
      const group = await this.lock(tx, id);
      checkIfMatch(ifMatch, group.version);
      const members = await this.membersOf(tx, group.id);
      const patched = applyPatch(GROUP_RESOURCE, this.document(group, members), operations, group.id);
      return this.save(tx, group, members, groupFields(patched, group));
    });
  }

  async delete(id: string, ifMatch: string | undefined): Promise<void> {
    this.viewer.require("scim");
    await inTransaction(this.sql, async (tx) => {
      const group = await this.lock(tx, id);
      checkIfMatch(ifMatch, group.version);
      const groups = new GroupStore(tx);
      // The members' documents lose this group: they get new versions.
      await this.bumpUsers(tx, await groups.memberIds(group.id));
      await groups.delete(this.organizationId, group.id);
    });
  }

  private async save(tx: Sql, group: Group, members: Member[], fields: GroupFields): Promise<Written> {
    const before = members.map((m) => m.userId);
    const renamed = group.displayName !== fields.displayName;
    const same =
      !renamed &&
      group.externalId === fields.externalId &&
      group.description === fields.description &&
      group.external === fields.external &&
      sameMembers(before, fields.members);
    if (same) return { document: this.document(group, members), version: group.version };
    const had = new Set(before);
    const kept = new Set(fields.members);
    const added = fields.members.filter((userId) => !had.has(userId));
    const removed = before.filter((userId) => !kept.has(userId));
    // Joining grants the group's permissions: only to be done by a caller holding them all.
    if (added.length > 0) this.viewer.requireGrantable(group.permissions);
    await this.assertUnique(tx, fields, group);
    await this.assertUsers(tx, added);
    const groups = new GroupStore(tx);
    await groups.removeMembers(group.id, removed);
    await groups.addMembers(group.id, added);
    // Users who joined or left list other groups now; on a rename, every member's `groups[].display`
    // changes.
    await this.bumpUsers(tx, renamed ? [...new Set([...before, ...fields.members])] : [...added, ...removed]);
    const { members: _members, ...columns } = fields;
    const updated = await this.unique(() => groups.update(this.organizationId, group.id, columns));
    if (!updated) throw new NotFoundError(`Group ${group.id} not found`);
    return this.written(tx, updated);
  }

  /** New versions (ETags) for users whose SCIM document changed with this group's. */
  private async bumpUsers(tx: Sql, userIds: string[]): Promise<void> {
    await new UserStore(tx).bumpVersions(this.organizationId, userIds);
  }

  private document(group: Group, members: Member[] | undefined): ScimDocument {
    return groupDocument(group, members ?? [], this.base);
  }

  private async written(tx: Sql, group: Group): Promise<Written> {
    const members = await this.membersOf(tx, group.id);
    return { document: this.document(group, members), version: group.version };
  }

  private async lock(tx: Sql, id: string): Promise<Group> {
    const group = isUuid(id) ? await new ScimStore(tx).lockGroup(this.organizationId, id) : undefined;
    if (!group) throw new NotFoundError(`Group ${id} not found`);
    return group;
  }

  private async membersOf(db: Sql, groupId: string): Promise<Member[]> {
    return (await new ScimStore(db).membersOf([groupId])).get(groupId) ?? [];
  }

  /** Members must be visible users of the caller's organisation: 400 invalidValue otherwise. */
  private async assertUsers(tx: Sql, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const known = await new UserStore(tx).existingIds(this.organizationId, ids, { visibleOverScim: true });
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0)
      throw invalid(`members: ${missing.join(", ")} is not a user of this organisation`);
  }

  /**
   * displayName is unique per organisation, case-insensitively (the database's unique index on
   * lower(display_name) has the last word); externalId too. Only what the write changes is
   * checked, so a write that keeps the name never fails on it.
   */
  private async assertUnique(tx: Sql, fields: GroupFields, current: Group | null): Promise<void> {
    const name =
      !current || current.displayName.toLowerCase() !== fields.displayName.toLowerCase()
        ? fields.displayName
        : null;
    const externalId = current?.externalId !== fields.externalId ? fields.externalId : null;
    if (name === null && externalId === null) return;
    const clash = await new ScimStore(tx).groupClash(
      this.organizationId,
      name,
      externalId,
      current?.id ?? null,
    );
    if (!clash) return;
    if (clash.nameClash) throw scimConflict(`A group named ${fields.displayName} already exists`);
    throw scimConflict(`externalId ${fields.externalId} is already taken`);
  }

  /** A unique index that a concurrent write beat us to (P2002, or a raw 23505) is a 409 too. */
  private async unique<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) throw scimConflict("displayName or externalId is already taken");
      throw error;
    }
  }
}
