// Permission groups: the organisation's groups of users (also provisioned over SCIM), whose
// `permissions` name the endpoint groups their members' refresh/access tokens may call.
// Every change bumps `version`, which SCIM publishes as the group's ETag.
import { z } from "zod";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Group, PrismaClient, User } from "../generated/prisma/client.js";
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
    return this.unique(data, () =>
      this.prisma.group.update({ where: { id }, data: { ...data, version: { increment: 1 } } }),
    );
  }

  async delete(id: string): Promise<Group> {
    this.viewer.require("org:admin");
    const group = await this.find(id);
    await this.prisma.$transaction([
      this.prisma.user.updateMany({
        where: { groupMemberships: { some: { groupId: group.id } } },
        data: { version: { increment: 1 } },
      }),
      this.prisma.group.delete({ where: { id: group.id } }),
    ]);
    return group;
  }

  /** Adds users of the organisation to a group; users already in it are left as they are. */
  async addMembers(groupId: string, userIds: string[]): Promise<Group> {
    this.viewer.require("org:admin");
    const ids = parseInput(MemberIds, userIds, "userIds");
    const group = await this.find(groupId);
    this.viewer.requireGrantable(group.permissions);
    await this.requireUsers(ids);
    return this.prisma.$transaction(async (tx) => {
      await tx.groupMember.createMany({
        data: ids.map((userId) => ({ groupId, userId })),
        skipDuplicates: true,
      });
      // A user's SCIM representation lists its groups, so its ETag changes too.
      await tx.user.updateMany({ where: { id: { in: ids } }, data: { version: { increment: 1 } } });
      return tx.group.update({ where: { id: groupId }, data: { version: { increment: 1 } } });
    });
  }

  /** Removes users from a group; ids that are not members are ignored. */
  async removeMembers(groupId: string, userIds: string[]): Promise<Group> {
    this.viewer.require("org:admin");
    const ids = parseInput(MemberIds, userIds, "userIds");
    await this.find(groupId);
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.groupMember.deleteMany({ where: { groupId, userId: { in: ids } } });
      if (count > 0) {
        await tx.user.updateMany({
          where: { id: { in: ids }, organizationId: this.organizationId },
          data: { version: { increment: 1 } },
        });
      }
      return tx.group.update({ where: { id: groupId }, data: { version: { increment: 1 } } });
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
