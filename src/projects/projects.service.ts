// Projects and their members (seed 002). DELETE archives: the row stays, lists hide it unless
// asked for, and its membership is frozen (409) until it is restored with status "active".
// Every project has a catalog folder, `@Project Hub/<name>`, created and renamed with it in the
// same transaction (src/catalog/catalog.projects.ts); archiving hides it from the catalog.
import { createProjectFolder, syncProjectFolder } from "../catalog/catalog.projects.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { Prisma, PrismaClient, Project, ProjectMember, User } from "../generated/prisma/client.js";
import { isUuid } from "../identity/authenticate.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput } from "../validation.js";
import {
  CreateProjectInput,
  ProjectListInput,
  type ProjectRole,
  ProjectRoleSchema,
  UpdateProjectInput,
} from "./projects.inputs.js";

/**
 * Membership changes of one project run one at a time: the row lock makes a concurrent PUT of
 * the same user see the first one's member, and keeps two removals from taking the last owner.
 */
async function lockProject(tx: Prisma.TransactionClient, projectId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM projects WHERE id = ${projectId}::uuid FOR UPDATE`;
}

/** Interactive transactions wait for a connection: generous, since PGlite has only one. */
const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 } as const;

export type MemberWithUser = ProjectMember & { user: User };
export type Slice<T> = { items: T[]; total: number };

export class ProjectService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {}

  private get organizationId(): string {
    return this.viewer.organization.id;
  }

  async list(input: ProjectListInput): Promise<Slice<Project>> {
    this.viewer.require("projects:read");
    const query = parseInput(ProjectListInput, input);
    const where: Prisma.ProjectWhereInput = {
      organizationId: this.organizationId,
      ...(query.externalId !== undefined ? { externalId: query.externalId } : {}),
      ...(query.status !== undefined
        ? { status: query.status }
        : query.includeArchived
          ? {}
          : { status: "active" }),
    };
    const [items, total] = await this.prisma.$transaction([
      this.prisma.project.findMany({
        where,
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        skip: query.skip,
        take: query.take,
      }),
      this.prisma.project.count({ where }),
    ]);
    return { items, total };
  }

  /** Archived projects stay readable by id. */
  async get(id: string): Promise<Project> {
    this.viewer.require("projects:read");
    return this.find(id);
  }

  async create(input: CreateProjectInput): Promise<Project> {
    this.viewer.require("projects:write");
    const data = parseInput(CreateProjectInput, input);
    return this.uniqueExternalId(data.externalId, () =>
      this.prisma.$transaction(async (tx) => {
        const project = await tx.project.create({
          data: {
            organizationId: this.organizationId,
            name: data.name,
            description: data.description ?? null,
            externalId: data.externalId ?? null,
            // Whoever creates a project owns it, so every project starts with an owner.
            members: {
              create: { organizationId: this.organizationId, userId: this.viewer.user.id, role: "owner" },
            },
          },
        });
        await createProjectFolder(tx, project);
        return project;
      }, TX_OPTIONS),
    );
  }

  async update(id: string, input: UpdateProjectInput): Promise<Project> {
    this.viewer.require("projects:write");
    const patch = parseInput(UpdateProjectInput, input);
    const project = await this.find(id);
    const statusChange =
      patch.status === undefined || patch.status === project.status
        ? {}
        : { status: patch.status, archivedAt: patch.status === "archived" ? new Date() : null };
    return this.uniqueExternalId(patch.externalId, () =>
      this.prisma.$transaction(async (tx) => {
        const updated = await tx.project.update({
          where: { id: project.id },
          data: {
            name: patch.name,
            description: patch.description,
            externalId: patch.externalId,
            ...statusChange,
          },
        });
        // A rename renames the folder (its subtree moves); a restore makes sure it exists.
        if (updated.name !== project.name || (updated.status === "active" && project.status !== "active")) {
          await syncProjectFolder(tx, updated);
        }
        return updated;
      }, TX_OPTIONS),
    );
  }

  /** DELETE: archives. Archiving an archived project changes nothing (and is no error). */
  async archive(id: string): Promise<Project> {
    this.viewer.require("projects:write");
    const project = await this.find(id);
    if (project.status === "archived") return project;
    return this.prisma.project.update({
      where: { id: project.id },
      data: { status: "archived", archivedAt: new Date() },
    });
  }

  async members(projectId: string, skip: number, take: number): Promise<Slice<MemberWithUser>> {
    this.viewer.require("projects:read");
    const project = await this.find(projectId);
    const where = { projectId: project.id };
    const [items, total] = await this.prisma.$transaction([
      this.prisma.projectMember.findMany({
        where,
        include: { user: true },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        skip,
        take,
      }),
      this.prisma.projectMember.count({ where }),
    ]);
    return { items, total };
  }

  /** PUT: adds the user with `role`, or changes the member's role. `created` tells which. */
  async setMember(
    projectId: string,
    userId: string,
    role: ProjectRole,
  ): Promise<{ member: MemberWithUser; created: boolean }> {
    this.viewer.require("projects:write");
    const parsed = parseInput(ProjectRoleSchema, role, "role");
    const project = await this.findActive(projectId);
    const user = await this.findUser(userId);
    return this.prisma.$transaction(async (tx) => {
      await lockProject(tx, project.id);
      const existing = await tx.projectMember.findUnique({
        where: { projectId_userId: { projectId: project.id, userId: user.id } },
      });
      if (existing) {
        if (existing.role === "owner" && parsed !== "owner") await this.keepAnOwner(tx, project.id);
        const member = await tx.projectMember.update({
          where: { id: existing.id },
          data: { role: parsed },
          include: { user: true },
        });
        return { member, created: false };
      }
      if (!user.active) throw new ConflictError(`User ${user.id} is deactivated and cannot join a project`);
      const member = await tx.projectMember.create({
        data: { organizationId: this.organizationId, projectId: project.id, userId: user.id, role: parsed },
        include: { user: true },
      });
      return { member, created: true };
    });
  }

  async removeMember(projectId: string, userId: string): Promise<MemberWithUser> {
    this.viewer.require("projects:write");
    const project = await this.findActive(projectId);
    const member = isUuid(userId)
      ? await this.prisma.projectMember.findUnique({
          where: { projectId_userId: { projectId: project.id, userId } },
          include: { user: true },
        })
      : null;
    if (!member) throw new NotFoundError(`User ${userId} is not a member of project ${project.id}`);
    return this.prisma.$transaction(async (tx) => {
      await lockProject(tx, project.id);
      if (member.role === "owner") await this.keepAnOwner(tx, project.id);
      await tx.projectMember.delete({ where: { id: member.id } });
      return member;
    });
  }

  /** Members of projects and projects of users, batched for GraphQL (one statement per batch). */
  async membershipsOfUsers(
    userIds: readonly string[],
  ): Promise<Array<Array<ProjectMember & { project: Project }>>> {
    this.viewer.require("projects:read");
    const rows = await this.prisma.projectMember.findMany({
      where: {
        userId: { in: [...userIds] },
        organizationId: this.organizationId,
        project: { status: "active" },
      },
      include: { project: true },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    return userIds.map((id) => rows.filter((row) => row.userId === id));
  }

  private async keepAnOwner(tx: Prisma.TransactionClient, projectId: string): Promise<void> {
    const owners = await tx.projectMember.count({ where: { projectId, role: "owner" } });
    if (owners <= 1)
      throw new ConflictError("A project's last owner cannot be removed or lose the owner role");
  }

  private async find(id: string): Promise<Project> {
    const project = isUuid(id)
      ? await this.prisma.project.findFirst({ where: { id, organizationId: this.organizationId } })
      : null;
    if (!project) throw new NotFoundError(`Project ${id} not found`);
    return project;
  }

  private async findActive(id: string): Promise<Project> {
    const project = await this.find(id);
    if (project.status === "archived")
      throw new ConflictError(
        `Project ${id} is archived; restore it (status "active") to change its members`,
      );
    return project;
  }

  private async findUser(id: string): Promise<User> {
    const user = isUuid(id)
      ? await this.prisma.user.findFirst({ where: { id, organizationId: this.organizationId } })
      : null;
    if (!user) throw new NotFoundError(`User ${id} not found`);
    return user;
  }

  private async uniqueExternalId(externalId: string | null | undefined, write: () => Promise<Project>) {
    try {
      return await write();
    } catch (error) {
      if ((error as { code?: string }).code === "P2002")
        throw new ConflictError(`Another project already has external_id ${externalId}`, {
          field: "external_id",
        });
      throw error;
    }
  }
}
