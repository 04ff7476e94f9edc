// SCIM Groups (RFC 7643 §4.2) over the organisation's groups. Members are the organisation's
// users only (no nested groups). A group's `permissions` belong to the graph's group management
// and are neither shown nor changed here; but joining a group grants them, so adding members
// needs a caller that holds them itself (Viewer.requireGrantable). A user's SCIM document lists
// its groups, so every change of membership or of a group's name bumps the users' versions too.
import { NotFoundError } from "../errors.js";
import type { Group, Prisma, PrismaClient } from "../generated/prisma/client.js";
import { isUuid } from "../identity/authenticate.js";
import type { Viewer } from "../identity/viewer.js";
import {
  type CompiledFilter,
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
import { isUniqueViolation, scimBadRequest, scimConflict } from "./scim.errors.js";
import { applyPatch, type PatchOperation } from "./scim.patch.js";
import {
  checkIfMatch,
  etagOf,
  inTransaction,
  type ListQuery,
  MAX_CANDIDATES,
  narrowable,
  selectPage,
} from "./scim.query.js";
import { GROUP_RESOURCE, URN } from "./scim.schemas.js";
import { booleanOf, lockUsers, type Page, type Written } from "./scim.users.service.js";
import { NOT_DELETED_OVER_SCIM } from "./scim.visibility.js";

type Tx = Prisma.TransactionClient;
type Member = { userId: string; displayName: string };

const VISIBLE_USER: Prisma.UserWhereInput = NOT_DELETED_OVER_SCIM;
const NOTHING: Prisma.GroupWhereInput = { id: { in: [] } };
const ORDER = [{ createdAt: "asc" as const }, { id: "asc" as const }];

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
      type: "User",
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

const insensitive = (value: string) => ({ equals: value, mode: "insensitive" as const });

/** A where clause every match of `filter` satisfies, or undefined when SQL cannot narrow it. */
export function narrowGroups(filter: CompiledFilter, prefix = ""): Prisma.GroupWhereInput | undefined {
  switch (filter.op) {
    case "and": {
      const parts = filter.filters.map((f) => narrowGroups(f, prefix)).filter((p) => p !== undefined);
      return parts.length > 0 ? { AND: parts } : undefined;
    }
    case "or": {
      const parts = filter.filters.map((f) => narrowGroups(f, prefix));
      return parts.every((p) => p !== undefined) ? { OR: parts as Prisma.GroupWhereInput[] } : undefined;
    }
    case "valuePath":
      return narrowGroups(filter.filter, `${prefix}${filter.steps.map((s) => s.key).join(".")}.`);
    case "eq":
      break;
    default:
      return undefined;
  }
  const { value } = filter;
  const attribute = `${prefix}${filter.steps.map((s) => s.key).join(".")}`;
  if (attribute === "external") return typeof value === "boolean" ? { external: value } : undefined;
  if (typeof value !== "string") return undefined;
  switch (attribute) {
    case "id":
      return isUuid(value) ? { id: value } : NOTHING;
    case "externalId":
      return { externalId: value };
    case "members.value":
      return isUuid(value) ? { members: { some: { userId: value.toLowerCase() } } } : NOTHING;
    case "displayName":
      return narrowable(value) ? { displayName: insensitive(value) } : undefined;
    default:
      return undefined;
  }
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((id) => set.has(id));
}

export class ScimGroupService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
    private readonly base: string,
  ) {}

  private get organizationId(): string {
    return this.viewer.organization.id;
  }

  async list(query: ListQuery, p: Projection): Promise<Page> {
    this.viewer.require("scim");
    const filter = query.filter === undefined ? null : compileFilterText(GROUP_RESOURCE, query.filter);
    const sort = query.sortBy ? compileSort(GROUP_RESOURCE, query.sortBy, query.sortOrder) : null;
    const withMembers = returns(p, "members");
    const mine = { organizationId: this.organizationId };
    if (!filter && !sort) {
      const [rows, total] = await this.prisma.$transaction([
        this.prisma.group.findMany({
          where: mine,
          orderBy: ORDER,
          skip: query.startIndex - 1,
          take: query.count,
        }),
        this.prisma.group.count({ where: mine }),
      ]);
      const members = withMembers ? await this.membersOf(rows.map((r) => r.id)) : new Map();
      return { total, resources: rows.map((row) => project(this.document(row, members.get(row.id)), p)) };
    }
    const narrowed = filter ? narrowGroups(filter) : undefined;
    const rows = await this.prisma.group.findMany({
      where: narrowed ? { AND: [mine, narrowed] } : mine,
      orderBy: ORDER,
      take: MAX_CANDIDATES + 1,
    });
    if (rows.length > MAX_CANDIDATES) {
      throw scimBadRequest(
        "tooMany",
        `The filter or sort needs more than ${MAX_CANDIDATES} groups evaluated; narrow it (displayName, externalId or id eq)`,
      );
    }
    const evaluateMembers = filterMentions(filter, "members") || sort?.steps[0]?.key === "members";
    const early = evaluateMembers ? await this.membersOf(rows.map((r) => r.id)) : null;
    const candidates = rows.map((row) => ({ row, doc: this.document(row, early?.get(row.id)) }));
    const { total, page } = selectPage(candidates, filter, sort, query);
    const late = !early && withMembers ? await this.membersOf(page.map((c) => c.row.id)) : null;
    return {
      total,
      resources: page.map((c) => project(late ? this.document(c.row, late.get(c.row.id)) : c.doc, p)),
    };
  }

  /** Members are loaded only when returned: Entra ID reads groups with excludedAttributes=members. */
  async get(id: string, p: Projection | null = null): Promise<Written> {
    this.viewer.require("scim");
    const group = await this.find(this.prisma, id);
    const members =
      !p || returns(p, "members") ? ((await this.membersOf([group.id])).get(group.id) ?? []) : [];
    return { document: this.document(group, members), version: group.version };
  }

  async create(body: unknown): Promise<Written> {
    this.viewer.require("scim");
    const fields = groupFields(body, null);
    return inTransaction(this.prisma, async (tx) => {
      await this.assertUnique(tx, fields, null);
      await this.assertUsers(tx, fields.members);
      const { members, ...columns } = fields;
      const group = await this.unique(() =>
        tx.group.create({ data: { organizationId: this.organizationId, ...columns } }),
      );
      // A new group's permissions are the column's default: whatever that grants, members get.
      if (members.length > 0) this.viewer.requireGrantable(group.permissions);
      await tx.groupMember.createMany({ data: members.map((userId) => ({ groupId: group.id, userId })) });
      await this.bumpUsers(tx, members);
      return this.written(tx, group);
    });
  }

  async replace(id: string, body: unknown, ifMatch: string | undefined): Promise<Written> {
    this.viewer.require("scim");
    return inTransaction(this.prisma, async (tx) => {
      const group = await this.lock(tx, id);
      checkIfMatch(ifMatch, group.version);
      const given = isObject(body) ? getKey(body, "id") : undefined;
      if (given !== undefined && given !== null && given !== group.id) {
        throw scimBadRequest("mutability", `id is read-only: it is ${group.id}, not ${String(given)}`);
      }
      const members = (await this.membersOf([group.id], tx)).get(group.id) ?? [];
      return this.save(tx, group, members, groupFields(body, group));
    });
  }

  async patch(id: string, operations: PatchOperation[], ifMatch: string | undefined): Promise<Written> {
    this.viewer.require("scim");
    return inTransaction(this.prisma, async (tx) => {
      const group = await this.lock(tx, id);
      checkIfMatch(ifMatch, group.version);
      const members = (await this.membersOf([group.id], tx)).get(group.id) ?? [];
      const patched = applyPatch(GROUP_RESOURCE, this.document(group, members), operations, group.id);
      return this.save(tx, group, members, groupFields(patched, group));
    });
  }

  async delete(id: string, ifMatch: string | undefined): Promise<void> {
    this.viewer.require("scim");
    await inTransaction(this.prisma, async (tx) => {
      const group = await this.lock(tx, id);
      checkIfMatch(ifMatch, group.version);
      // The members' documents lose this group: they get new versions.
      const members = await tx.groupMember.findMany({
        where: { groupId: group.id },
        select: { userId: true },
      });
      await this.bumpUsers(
        tx,
        members.map((m) => m.userId),
      );
      await tx.group.delete({ where: { id: group.id } });
    });
  }

  private async save(tx: Tx, group: Group, members: Member[], fields: GroupFields): Promise<Written> {
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
    if (removed.length > 0)
      await tx.groupMember.deleteMany({ where: { groupId: group.id, userId: { in: removed } } });
    if (added.length > 0) {
      await tx.groupMember.createMany({
        data: added.map((userId) => ({ groupId: group.id, userId })),
        skipDuplicates: true,
      });
    }
    // Users who joined or left list other groups now; on a rename, every member's `groups[].display`
    // changes.
    await this.bumpUsers(tx, renamed ? [...new Set([...before, ...fields.members])] : [...added, ...removed]);
    const { members: _members, ...columns } = fields;
    const updated = await this.unique(() =>
      tx.group.update({ where: { id: group.id }, data: { ...columns, version: { increment: 1 } } }),
    );
    return this.written(tx, updated);
  }

  /** New versions (ETags) for users whose SCIM document changed with this group's. */
  private async bumpUsers(tx: Tx, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await lockUsers(tx, this.organizationId, userIds);
    await tx.user.updateMany({
      where: { id: { in: userIds }, organizationId: this.organizationId },
      data: { version: { increment: 1 } },
    });
  }

  private document(group: Group, members: Member[] | undefined): ScimDocument {
    return groupDocument(group, members ?? [], this.base);
  }

  private async written(tx: Tx, group: Group): Promise<Written> {
    const members = (await this.membersOf([group.id], tx)).get(group.id) ?? [];
    return { document: this.document(group, members), version: group.version };
  }

  private async find(db: Tx | PrismaClient, id: string): Promise<Group> {
    const group = isUuid(id)
      ? await db.group.findFirst({ where: { id: id.toLowerCase(), organizationId: this.organizationId } })
      : null;
    if (!group) throw new NotFoundError(`Group ${id} not found`);
    return group;
  }

  private async lock(tx: Tx, id: string): Promise<Group> {
    if (isUuid(id)) {
      await tx.$queryRaw`SELECT id FROM groups WHERE id = ${id.toLowerCase()}::uuid
        AND organization_id = ${this.organizationId}::uuid FOR UPDATE`;
    }
    return this.find(tx, id);
  }

  private async membersOf(
    groupIds: string[],
    db: Tx | PrismaClient = this.prisma,
  ): Promise<Map<string, Member[]>> {
    const map = new Map<string, Member[]>();
    if (groupIds.length === 0) return map;
    const rows = await db.groupMember.findMany({
      where: { groupId: { in: groupIds }, user: VISIBLE_USER },
      select: { groupId: true, userId: true, user: { select: { displayName: true } } },
      orderBy: [{ createdAt: "asc" }, { userId: "asc" }],
    });
    for (const row of rows) {
      const list = map.get(row.groupId) ?? [];
      list.push({ userId: row.userId, displayName: row.user.displayName });
      map.set(row.groupId, list);
    }
    return map;
  }

  /** Members must be visible users of the caller's organisation: 400 invalidValue otherwise. */
  private async assertUsers(tx: Tx, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = await tx.user.findMany({
      where: { id: { in: ids }, organizationId: this.organizationId, ...VISIBLE_USER },
      select: { id: true },
    });
    const known = new Set(found.map((u) => u.id));
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0)
      throw invalid(`members: ${missing.join(", ")} is not a user of this organisation`);
  }

  /**
   * displayName is unique per organisation, case-insensitively (the database's unique index on
   * lower(display_name) has the last word); externalId too. Only what the write changes is
   * checked, so a write that keeps the name never fails on it.
   */
  private async assertUnique(tx: Tx, fields: GroupFields, current: Group | null): Promise<void> {
    const name =
      !current || current.displayName.toLowerCase() !== fields.displayName.toLowerCase()
        ? fields.displayName
        : null;
    const externalId = current?.externalId !== fields.externalId ? fields.externalId : null;
    if (name === null && externalId === null) return;
    const selfId = current?.id ?? null;
    const clashes = await tx.$queryRaw<Array<{ nameClash: boolean }>>`
      SELECT (${name}::text IS NOT NULL AND lower(display_name) = lower(${name}::text)) AS "nameClash"
      FROM groups
      WHERE organization_id = ${this.organizationId}::uuid
        AND (${selfId}::uuid IS NULL OR id <> ${selfId}::uuid)
        AND ((${name}::text IS NOT NULL AND lower(display_name) = lower(${name}::text))
          OR (${externalId}::text IS NOT NULL AND external_id = ${externalId}::text))
      LIMIT 1`;
    const clash = clashes[0];
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
