// Permission groups: the organisation's groups of users (also provisioned over SCIM), whose
// `permissions` name the endpoint groups their members' refresh/access tokens may call.
// Every change bumps `version`, which SCIM publishes as the group's ETag.
import { z } from "zod";
import { isUniqueViolation } from "../db/errors.js";
import { isUuid } from "../db/ids.js";
import { type Sql, type SqlPool, sqlOf } from "../db/sql.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { inTransaction } from "../scim/scim.query.js";
import { parseInput } from "../validation.js";
import { type Group, GroupStore } from "./groups.store.js";
import { ExternalIdSchema } from "./identity.inputs.js";
import { isScope, SCOPE_NAMES } from "./scopes.js";
import { type User, UserStore } from "./users.store.js";
import type { Viewer } from "./viewer.js";

export type { Group } from "./groups.store.js";

/** The most members one call may add or remove. */
export const MAX_MEMBERS_PER_CALL = 100;

const permissionList = z
  .array(z.string().refine(isScope, { message: `must be one of ${SCOPE_NAMES.join(", ")}` }))
  .max(64)
  .transform((list) => [...new Set(list)].sort());

export const CreateGroupInput = z.object({
  displayName: z.string().trim().min(1, "must not be blank").max(200),
  description: z.string().max(2000).nullish(),
  externalId: ExternalIdSchema.nullish(),
  permissions: permissionList.default([]),
});
export type CreateGroupInput = z.input<typeof CreateGroupInput>;

export const UpdateGroupInput = z.object({
  displayName: z.string().trim().min(1, "must not be blank").max(200).optional(),
  description: z.string().max(2000).nullish(),
  externalId: ExternalIdSchema.nullish(),
  permissions: permissionList.optional(),
});
export type UpdateGroupInput = z.input<typeof UpdateGroupInput>;

const MemberIds = z
  .array(z.uuid("must be a user id"))
  .min(1, "name at least one user")
  .max(MAX_MEMBERS_PER_CALL, `at most ${MAX_MEMBERS_PER_CALL} users per call`)
  .transform((ids) => [...new Set(ids)]);

export class GroupService {
  private readonly sql: SqlPool;
  private readonly groups: GroupStore;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    this.sql = sqlOf(prisma);
    this.groups = new GroupStore(this.sql);
  }

  private get organizationId(): string {
    return this.viewer.organization.id;
  }

  async get(id: string): Promise<Group> {
    this.viewer.require("users:read");
    return this.find(id);
  }

  /** The organisation's groups among `ids`, in no particular order (Group nodes' DataLoader). */
  async byIds(ids: readonly string[]): Promise<Group[]> {
    this.viewer.require("users:read");
    return this.groups.byIds(this.organizationId, [...new Set(ids.filter(isUuid))]);
  }

  /** Groups in display-name order from `skip`, with the total (GraphQL's connection). */
  async slice(skip: number, take: number): Promise<{ items: Group[]; total: number }> {
    this.viewer.require("users:read");
    return this.groups.page(this.organizationId, skip, take);
  }

  /**
   * For each group id, its members in the order they joined from `skip` (at most `take`) with
   * their total (Group.members' DataLoader: one statement for every group of a page).
   */
  async membersOfGroups(
    groupIds: readonly string[],
    skip: number,
    take: number,
  ): Promise<{ items: User[]; total: number }[]> {
    this.viewer.require("users:read");
    const pages = await this.groups.memberPages(this.organizationId, groupIds, skip, take);
    return groupIds.map((id) => pages.get(id) ?? { items: [], total: 0 });
  }

  /** For each user id, the groups it belongs to (User.groups' DataLoader: one statement). */
  async groupsOfUsers(userIds: readonly string[]): Promise<Group[][]> {
    this.viewer.require("users:read");
    const byUser = await this.groups.groupsOfUsers(this.organizationId, userIds);
    return userIds.map((id) => byUser.get(id) ?? []);
  }

  async create(input: CreateGroupInput): Promise<Group> {
    this.viewer.require("org:admin");
    const data = parseInput(CreateGroupInput, input);
    this.viewer.requireGrantable(data.permissions);
    return this.unique(data, () => this.groups.insert(this.organizationId, data));
  }

  async update(id: string, input: UpdateGroupInput): Promise<Group> {
    this.viewer.require("org:admin");
    const data = parseInput(UpdateGroupInput, input);
    const group = await this.find(id);
    // Changing a group's permissions changes its members' too: both old and new must be held.
    if (data.permissions) this.viewer.requireGrantable([...group.permissions, ...data.permissions]);
    const renamed = data.displayName !== undefined && data.displayName !== group.displayName;
    return this.unique(data, () =>
      inTransaction(this.sql, async (tx) => {
        const updated = await this.written(tx, group.id, data);
        // Members list the group by name in their SCIM `groups`: a rename changes their ETags.
        if (renamed) await this.bumpUsers(tx, await new GroupStore(tx).memberIds(group.id));
        return updated;
      }),
    );
  }

  async delete(id: string): Promise<Group> {
    this.viewer.require("org:admin");
    const group = await this.find(id);
    await inTransaction(this.sql, async (tx) => {
      const groups = new GroupStore(tx);
      const members = await groups.memberIds(group.id);
      await groups.delete(this.organizationId, group.id);
      await this.bumpUsers(tx, members);
    });
    return group;
  }

  /** Adds users of the organisation to a group; users already in it are left as they are. */
  async addMembers(groupId: string, userIds: string[]): Promise<Group> {
    this.viewer.require("org:admin");
    const ids = parseInput(MemberIds, userIds, "userIds");
    const group = await this.find(groupId);
    this.viewer.requireGrantable(group.permissions);
    await this.requireUsers(ids);
    return inTransaction(this.sql, async (tx) => {
      // The group's row first, then its members' in id order: the order SCIM writes lock in.
      const updated = await this.written(tx, group.id);
      await new GroupStore(tx).addMembers(group.id, ids);
      await this.bumpUsers(tx, ids);
      return updated;
    });
  }

  /** Removes users from a group; ids that are not members are ignored. */
  async removeMembers(groupId: string, userIds: string[]): Promise<Group> {
    this.viewer.require("org:admin");
    const ids = parseInput(MemberIds, userIds, "userIds");
    const group = await this.find(groupId);
    return inTransaction(this.sql, async (tx) => {
      const updated = await this.written(tx, group.id);
      const count = await new GroupStore(tx).removeMembers(group.id, ids);
      if (count > 0) await this.bumpUsers(tx, ids);
      return updated;
    });
  }

  /** Writes the group's changed columns and a new version: 404 if it went meanwhile. */
  private async written(tx: Sql, id: string, changes: UpdateGroupColumns = {}): Promise<Group> {
    const updated = await new GroupStore(tx).update(this.organizationId, id, changes);
    if (!updated) throw new NotFoundError(`Group ${id} not found`);
    return updated;
  }

  /** A user's SCIM representation lists its groups, so membership changes bump its version. */
  private async bumpUsers(tx: Sql, userIds: readonly string[]): Promise<void> {
    await new UserStore(tx).bumpVersions(this.organizationId, userIds);
  }

  private async find(id: string): Promise<Group> {
    const group = isUuid(id) ? await this.groups.byId(this.organizationId, id) : undefined;
    if (!group) throw new NotFoundError(`Group ${id} not found`);
    return group;
  }

  /** Every id must be a user of the caller's organisation: another tenant's user is "not found". */
  private async requireUsers(ids: string[]): Promise<void> {
    const known = await new UserStore(this.sql).existingIds(this.organizationId, ids);
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0)
      throw new NotFoundError(`User ${missing.join(", ")} not found`, { userIds: missing });
  }

  private async unique<T>(
    data: { displayName?: string; externalId?: string | null },
    write: () => Promise<T>,
  ): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          `A group named ${data.displayName ?? "so"}${data.externalId ? ` or with external id ${data.externalId}` : ""} already exists`,
        );
      }
      throw error;
    }
  }
}

type UpdateGroupColumns = z.output<typeof UpdateGroupInput>;
