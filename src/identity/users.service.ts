// The organisation's users. Every read and write is confined to the viewer's organisation.
import { ConflictError, NotFoundError } from "../errors.js";
import type { PrismaClient, User } from "../generated/prisma/client.js";
import {
  type CursorPageQuery,
  type CursorPageResult,
  type FetchRows,
  type KeyCodec,
  paginate,
} from "../rest/cursor-pagination.js";
import { NOT_DELETED_OVER_SCIM } from "../scim/scim.visibility.js";
import { parseInput } from "../validation.js";
import { isUuid } from "./authenticate.js";
import { CreateUserInput, type Role, RoleSchema, UpdateUserInput } from "./identity.inputs.js";
import type { Viewer } from "./viewer.js";

export type Page<T> = { items: T[]; total: number; page: number; pageSize: number };
export type UserFilter = { externalId?: string };

type UserKey = { createdAt: Date; id: string };

const userKeys: KeyCodec<UserKey> = {
  encode: (key) => [key.createdAt.toISOString(), key.id],
  decode: (raw) => {
    if (!Array.isArray(raw) || raw.length !== 2) return null;
    const [at, id] = raw as unknown[];
    if (typeof at !== "string" || typeof id !== "string" || !isUuid(id)) return null;
    const createdAt = new Date(at);
    return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id };
  },
};

export class UserService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {}

  async create(input: CreateUserInput): Promise<User> {
    this.viewer.require("org:admin");
    const data = parseInput(CreateUserInput, input);
    const email = data.email.toLowerCase();
    const organizationId = this.viewer.organization.id;
    const existing = await this.prisma.user.findUnique({
      where: { organizationId_email: { organizationId, email } },
    });
    if (existing) throw new ConflictError(`A user with e-mail ${email} already exists`, { field: "email" });
    try {
      return await this.prisma.user.create({
        data: {
          organizationId,
          email,
          displayName: data.displayName,
          role: data.role,
          externalId: data.externalId,
        },
      });
    } catch (error) {
      // Concurrent creates with one e-mail, or an external id already taken.
      if ((error as { code?: string }).code === "P2002")
        throw new ConflictError(
          data.externalId === undefined
            ? `A user with e-mail ${email} already exists`
            : `A user with e-mail ${email} or external_id ${data.externalId} already exists`,
        );
      throw error;
    }
  }

  async get(id: string): Promise<User> {
    this.viewer.require("users:read");
    if (!isUuid(id)) throw new NotFoundError(`User ${id} not found`);
    const user = await this.prisma.user.findFirst({
      where: { id, organizationId: this.viewer.organization.id },
    });
    if (!user) throw new NotFoundError(`User ${id} not found`);
    return user;
  }

  async list(page: number, pageSize: number, filter: UserFilter = {}): Promise<Page<User>> {
    const { items, total } = await this.slice(filter, (page - 1) * pageSize, pageSize);
    return { items, total, page, pageSize };
  }

  /**
   * GET /api/v2/users: one cursor page of the organisation's users (requires users:read), without
   * those deleted over SCIM. The keyset sibling of `slice`: ordering by (created_at, id) keeps
   * pages stable while users are added.
   */
  async pageByCursor(query: CursorPageQuery): Promise<CursorPageResult<User>> {
    this.viewer.require("users:read");
    const organizationId = this.viewer.organization.id;
    const fetch: FetchRows<User, UserKey> = (direction, from, take) => {
      const forward = direction === "forward";
      const beyond = <V>(value: V) => (forward ? { gt: value } : { lt: value });
      const atOrBeyond = <V>(value: V) => (forward ? { gte: value } : { lte: value });
      return this.prisma.user.findMany({
        where: {
          organizationId,
          ...NOT_DELETED_OVER_SCIM,
          ...(from
            ? {
                OR: [
                  { createdAt: beyond(from.key.createdAt) },
                  {
                    createdAt: from.key.createdAt,
                    id: from.inclusive ? atOrBeyond(from.key.id) : beyond(from.key.id),
                  },
                ],
              }
            : {}),
        },
        orderBy: [{ createdAt: forward ? "asc" : "desc" }, { id: forward ? "asc" : "desc" }],
        take,
      });
    };
    return paginate(query, userKeys, (user) => ({ createdAt: user.createdAt, id: user.id }), fetch);
  }

  /** Users in creation order from `skip`, with the total matching `filter` (GraphQL's connection). */
  async slice(filter: UserFilter, skip: number, take: number): Promise<{ items: User[]; total: number }> {
    this.viewer.require("users:read");
    const where = {
      organizationId: this.viewer.organization.id,
      ...(filter.externalId !== undefined ? { externalId: filter.externalId } : {}),
    };
    const [items, total] = await this.prisma.$transaction([
      this.prisma.user.findMany({ where, orderBy: [{ createdAt: "asc" }, { id: "asc" }], skip, take }),
      this.prisma.user.count({ where }),
    ]);
    return { items, total };
  }

  async updateRole(id: string, role: Role): Promise<User> {
    this.viewer.require("users:write");
    return this.update(id, { role: parseInput(RoleSchema, role, "role") });
  }

  /** Changes a user's role and/or external id (unique per organisation: 409 on a duplicate). */
  async update(id: string, input: UpdateUserInput): Promise<User> {
    this.viewer.require("users:write");
    const patch = parseInput(UpdateUserInput, input);
    const user = await this.get(id);
    if (patch.role !== undefined && user.role === "owner" && patch.role !== "owner") {
      const owners = await this.prisma.user.count({
        where: { organizationId: this.viewer.organization.id, role: "owner", active: true },
      });
      if (owners <= 1) throw new ConflictError("The organisation's last owner cannot lose the owner role");
    }
    try {
      return await this.prisma.user.update({
        where: { id: user.id },
        data: { role: patch.role, externalId: patch.externalId, version: { increment: 1 } },
      });
    } catch (error) {
      if ((error as { code?: string }).code === "P2002")
        throw new ConflictError(`Another user already has external_id ${patch.externalId}`, {
          field: "external_id",
        });
      throw error;
    }
  }
}
