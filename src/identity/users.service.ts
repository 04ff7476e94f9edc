// The organisation's users. Every read and write is confined to the viewer's organisation.
import { ConflictError, NotFoundError } from "../errors.js";
import type { PrismaClient, User } from "../generated/prisma/client.js";
import { parseInput } from "../validation.js";
import { isUuid } from "./authenticate.js";
import { CreateUserInput, type Role, RoleSchema } from "./identity.inputs.js";
import type { Viewer } from "./viewer.js";

export type Page<T> = { items: T[]; total: number; page: number; pageSize: number };

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
    return this.prisma.user.create({
      data: { organizationId, email, displayName: data.displayName, role: data.role },
    });
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

  async list(page: number, pageSize: number): Promise<Page<User>> {
    this.viewer.require("users:read");
    const where = { organizationId: this.viewer.organization.id };
    const [items, total] = await this.prisma.$transaction([
      this.prisma.user.findMany({
        where,
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        skip: (page - 1) * pageSize,
        take: pageSize,
      }),
      this.prisma.user.count({ where }),
    ]);
    return { items, total, page, pageSize };
  }

  async updateRole(id: string, role: Role): Promise<User> {
    this.viewer.require("users:write");
    const parsed = parseInput(RoleSchema, role, "role");
    const user = await this.get(id);
    if (user.role === "owner" && parsed !== "owner") {
      const owners = await this.prisma.user.count({
        where: { organizationId: this.viewer.organization.id, role: "owner", active: true },
      });
      if (owners <= 1) throw new ConflictError("The organisation's last owner cannot lose the owner role");
    }
    return this.prisma.user.update({ where: { id: user.id }, data: { role: parsed } });
  }
}
