// The organisation's users. Every read and write is confined to the viewer's organisation.
import { ConflictError, NotFoundError } from "../errors.js";
import type { PrismaClient, User } from "../generated/prisma/client.js";
import { parseInput } from "../validation.js";
import { isUuid } from "./authenticate.js";
import { CreateUserInput, type Role, RoleSchema, UpdateUserInput } from "./identity.inputs.js";
import type { Viewer } from "./viewer.js";

export type Page<T> = { items: T[]; total: number; page: number; pageSize: number };
export type UserFilter = { externalId?: string };

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
