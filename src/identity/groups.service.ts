// Permission groups: the organisation's groups of users (also provisioned over SCIM), whose
// `permissions` name the endpoint groups their members' refresh/access tokens may call.
// Every change bumps `version`, which SCIM publishes as the group's ETag.
import { z } from "zod";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Group, Prisma, PrismaClient, User } from "../generated/prisma/client.js";
import { inTransaction } from "../scim/scim.query.js";
import { lockUsers } from "../scim/scim.users.service.js";
import { parseInput } from "../validation.js";
import { isUuid } from "./authenticate.js";
import { ExternalIdSchema } from "./identity.inputs.js";
import { isScope, SCOPE_NAMES } from "./scopes.js";
import type { Viewer } from "./viewer.js";

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
  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {}

  private get organizationId(): string {
    return this.viewer.organization.id;
  }

  async get(id: string): Promise<Group> {
    this.viewer.require("users:read");
    return this.find(id);
  }

  /** Groups in display-name order from `skip`, with the total (GraphQL's connection). */
  async slice(skip: number, take: number): Promise<{ items: Group[]; total: number }> {
    this.viewer.require("users:read");
    const where = { organizationId: this.organizationId };
    const [items, total] = await this.prisma.$transaction([
      this.prisma.group.findMany({ where, orderBy: [{ displayName: "asc" }, { id: "asc" }], skip, take }),
      this.prisma.group.count({ where }),
    ]);
    return { items, total };
  }

  /** A group's members in the order they joined, from `skip`, with the total. */
  async members(groupId: string, skip: number, take: number): Promise<{ items: User[]; total: number }> {
    this.viewer.require("users:read");
    const where = { groupId, group: { organizationId: this.organizationId } };
    const [rows, total] = await this.prisma.$transaction([
      this.prisma.groupMember.findMany({
        where,
        include: { user: true },
        orderBy: [{ createdAt: "asc" }, { userId: "asc" }],
        skip,
        take,
      }),
      this.prisma.groupMember.count({ where }),
    ]);
    return { items: rows.map((row) => row.user), total };
  }

  /** For each user id, the groups it belongs to (User.groups' DataLoader: one statement). */
  async groupsOfUsers(userIds: readonly string[]): Promise<Group[][]> {
    this.viewer.require("users:read");
    const rows = await this.prisma.groupMember.findMany({
      where: { userId: { in: [...userIds] }, group: { organizationId: this.organizationId } },
      include: { group: true },
      orderBy: { group: { displayName: "asc" } },
    });
    return userIds.map((id) => rows.filter((row) => row.userId === id).map((row) => row.group));
  }

  async create(input: CreateGroupInput): Promise<Group> {
    this.viewer.require("org:admin");
    const data = parseInput(CreateGroupInput, input);
    this.viewer.requireGrantable(data.permissions);
    return this.unique(data, () =>
      this.prisma.group.create({ data: { ...data, organizationId: this.organizationId } }),
    );
  }

  async update(id: string, input: UpdateGroupInput): Promise<Group> {
    this.viewer.require("org:admin");
    const data = parseInput(UpdateGroupInput, input);
    const group = await this.find(id);
    // Changing a group's permissions changes its members' too: both old and new must be held.
    if (data.permissions) this.viewer.requireGrantable([...group.permissions, ...data.permissions]);
    const renamed = data.displayName !== undefined && data.displayName !== group.displayName;
    return this.unique(data, () =>
      inTransaction(this.prisma, async (tx) => {
        const updated = await tx.group.update({
          where: { id },
          data: { ...data, version: { increment: 1 } },
        });
        // Members list the group by name in their SCIM `groups`: a rename changes their ETags.
        if (renamed) {
          const members = await tx.groupMember.findMany({ where: { groupId: id }, select: { userId: true } });
          await this.bumpUsers(
            tx,
            members.map((m) => m.userId),
          );
        }
        return updated;
      }),
    );
  }

  async delete(id: string): Promise<Group> {
    this.viewer.require("org:admin");
    const group = await this.find(id);
    await inTransaction(this.prisma, async (tx) => {
      const members = await tx.groupMember.findMany({
        where: { groupId: group.id },
        select: { userId: true },
      });
      await tx.group.delete({ where: { id: group.id } });
      await this.bumpUsers(
        tx,
        members.map((m) => m.userId),
      );
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
    return inTransaction(this.prisma, async (tx) => {
      // The group's row first, then its members' in id order: the order SCIM writes lock in.
      const updated = await tx.group.update({ where: { id: groupId }, data: { version: { increment: 1 } } });
      await tx.groupMember.createMany({
        data: ids.map((userId) => ({ groupId, userId })),
        skipDuplicates: true,
      });
      await this.bumpUsers(tx, ids);
      return updated;
    });
  }

  /** Removes users from a group; ids that are not members are ignored. */
  async removeMembers(groupId: string, userIds: string[]): Promise<Group> {
    this.viewer.require("org:admin");
    const ids = parseInput(MemberIds, userIds, "userIds");
    await this.find(groupId);
    return inTransaction(this.prisma, async (tx) => {
      const updated = await tx.group.update({ where: { id: groupId }, data: { version: { increment: 1 } } });
      const { count } = await tx.groupMember.deleteMany({ where: { groupId, userId: { in: ids } } });
      if (count > 0) await this.bumpUsers(tx, ids);
      return updated;
    });
  }

  /** A user's SCIM representation lists its groups, so membership changes bump its version. */
  private async bumpUsers(tx: Prisma.TransactionClient, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await lockUsers(tx, this.organizationId, userIds);
    await tx.user.updateMany({
      where: { id: { in: [...userIds] }, organizationId: this.organizationId },
      data: { version: { increment: 1 } },
    });
  }

  private async find(id: string): Promise<Group> {
    const group = isUuid(id)
      ? await this.prisma.group.findFirst({ where: { id, organizationId: this.organizationId } })
      : null;
    if (!group) throw new NotFoundError(`Group ${id} not found`);
    return group;
  }

  /** Every id must be a user of the caller's organisation: another tenant's user is "not found". */
  private async requireUsers(ids: string[]): Promise<void> {
    const found = await this.prisma.user.findMany({
      where: { id: { in: ids }, organizationId: this.organizationId },
      select: { id: true },
    });
    const known = new Set(found.map((user) => user.id));
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
      if ((error as { code?: string }).code === "P2002") {
        throw new ConflictError(
          `A group named ${data.displayName ?? "so"}${data.externalId ? ` or with external id ${data.externalId}` : ""} already exists`,
        );
      }
      throw error;
    }
  }
}
