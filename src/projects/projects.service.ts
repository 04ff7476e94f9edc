// Projects and their members (seed 002). DELETE archives: the row stays, lists hide it unless
// asked for, and its membership is frozen (409) until it is restored with status "active".
// Every project has a catalog folder, `@Project Hub/<name>`, created and renamed with it in the
// same transaction (src/catalog/catalog.projects.ts); archiving hides it from the catalog.
import DataLoader from "dataloader";
import { createProjectFolder, syncProjectFolder } from "../catalog/catalog.projects.js";
import { translateDatabaseError } from "../db/errors.js";
import { isUuid } from "../db/ids.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput } from "../validation.js";
import {
  CreateProjectInput,
  ProjectListInput,
  type ProjectRole,
  ProjectRoleSchema,
  UpdateProjectInput,
} from "./projects.inputs.js";
import { type MemberWindow, type MemberWithUser, type Project, ProjectStore } from "./projects.store.js";

export type { MemberWindow, MemberWithUser, Project, ProjectMember } from "./projects.store.js";
export type Slice<T> = { items: T[]; total: number };

export class ProjectService {
  private readonly store: ProjectStore;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    this.store = ProjectStore.of(prisma);
  }

  /** Members windows keyed by their window: a page of projects asking the same window is one batch. */
  private readonly memberWindows = new Map<
    string,
    DataLoader<string, { members: MemberWithUser[]; total: number }>
  >();

  private get organizationId(): string {
    return this.viewer.organization.id;
  }

  async list(input: ProjectListInput): Promise<Slice<Project>> {
    this.viewer.require("projects:read");
    const query = parseInput(ProjectListInput, input);
    const status = query.status ?? (query.includeArchived ? undefined : "active");
    return this.store.page(
      this.organizationId,
      { externalId: query.externalId, status },
      query.skip,
      query.take,
    );
  }

  /** Archived projects stay readable by id. */
  async get(id: string): Promise<Project> {
    this.viewer.require("projects:read");
    return this.find(id);
  }

  /** For DataLoaders and node(id:): null for ids that are not this organisation's projects. */
  async findMany(ids: readonly string[]): Promise<Array<Project | null>> {
    this.viewer.require("projects:read");
    const rows = await this.store.byIds(this.organizationId, ids.filter(isUuid));
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  /** For DataLoaders and node(id:): null for ids that are not this organisation's memberships. */
  async membersById(ids: readonly string[]): Promise<Array<MemberWithUser | null>> {
    this.viewer.require("projects:read");
    const rows = await this.store.membersByIds(this.organizationId, ids.filter(isUuid));
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  async create(input: CreateProjectInput): Promise<Project> {
    this.viewer.require("projects:write");
    const data = parseInput(CreateProjectInput, input);
    return this.uniqueExternalId(data.externalId, () =>
      this.store.transaction(async (store, tx) => {
        // Whoever creates a project owns it, so every project starts with an owner.
        const project = await store.insertWithOwner({
          organizationId: this.organizationId,
          name: data.name,
          description: data.description ?? null,
          externalId: data.externalId ?? null,
          ownerId: this.viewer.user.id,
        });
        await createProjectFolder(tx, project);
        return project;
      }),
    );
  }

  async update(id: string, input: UpdateProjectInput): Promise<Project> {
    this.viewer.require("projects:write");
    const patch = parseInput(UpdateProjectInput, input);
    const project = await this.find(id);
    const statusChange =
      patch.status === undefined || patch.status === project.status
        ? {}
        : { status: patch.status, archived: patch.status === "archived" };
    return this.uniqueExternalId(patch.externalId, () =>
      this.store.transaction(async (store, tx) => {
        const updated = await store.update(this.organizationId, project.id, {
          name: patch.name,
          description: patch.description,
          externalId: patch.externalId,
          ...statusChange,
        });
        if (!updated) throw new NotFoundError(`Project ${id} not found`);
        // A rename renames the folder (its subtree moves); a restore makes sure it exists.
        if (updated.name !== project.name || (updated.status === "active" && project.status !== "active")) {
          await syncProjectFolder(tx, updated);
        }
        return updated;
      }),
    );
  }

  /** DELETE: archives. Archiving an archived project changes nothing (and is no error). */
  async archive(id: string): Promise<Project> {
    this.viewer.require("projects:write");
    const archived = isUuid(id) ? await this.store.archive(this.organizationId, id) : undefined;
    return archived ?? this.find(id);
  }

  async members(projectId: string, skip: number, take: number): Promise<Slice<MemberWithUser>> {
    this.viewer.require("projects:read");
    const project = await this.find(projectId);
    return this.store.membersPage(project.id, skip, take);
  }

  /**
   * One keyset window of a project's members and their total (GraphQL Project.members): the
   * projects of a page that ask for the same window are fetched in one statement.
   */
  async membersWindow(
    projectId: string,
    window: MemberWindow,
  ): Promise<{ members: MemberWithUser[]; total: number }> {
    this.viewer.require("projects:read");
    const key = JSON.stringify(window);
    let loader = this.memberWindows.get(key);
    if (!loader) {
      loader = new DataLoader(async (ids) => {
        const windows = await this.store.membersOfProjects(ids, window);
        return ids.map((id) => windows.get(id) ?? { members: [], total: 0 });
      });
      this.memberWindows.set(key, loader);
    }
    return loader.load(projectId);
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
    const user = isUuid(userId) ? await this.store.userStatus(this.organizationId, userId) : undefined;
    if (!user) throw new NotFoundError(`User ${userId} not found`);
    return this.store.transaction(async (store) => {
      await store.lock(project.id);
      const existing = await store.member(project.id, user.id);
      if (existing) {
        if (existing.role === "owner" && parsed !== "owner") await keepAnOwner(store, project.id);
        return { member: await store.updateMemberRole(existing.id, parsed), created: false };
      }
      if (!user.active) throw new ConflictError(`User ${user.id} is deactivated and cannot join a project`);
      const member = await store.insertMember({
        organizationId: this.organizationId,
        projectId: project.id,
        userId: user.id,
        role: parsed,
      });
      return { member, created: true };
    });
  }

  async removeMember(projectId: string, userId: string): Promise<MemberWithUser> {
    this.viewer.require("projects:write");
    const project = await this.findActive(projectId);
    const member = isUuid(userId) ? await this.store.member(project.id, userId) : undefined;
    if (!member) throw new NotFoundError(`User ${userId} is not a member of project ${project.id}`);
    return this.store.transaction(async (store) => {
      await store.lock(project.id);
      if (member.role === "owner") await keepAnOwner(store, project.id);
      await store.deleteMember(member.id);
      return member;
    });
  }

  /** The active projects of each user, batched for GraphQL (one statement per batch). */
  async activeProjectsOfUsers(userIds: readonly string[]): Promise<Project[][]> {
    this.viewer.require("projects:read");
    const rows = await this.store.activeProjectsOfUsers(this.organizationId, userIds.filter(isUuid));
    return userIds.map((id) =>
      rows.filter((row) => row.userId === id.toLowerCase()).map((row) => row.project),
    );
  }

  private async find(id: string): Promise<Project> {
    const project = isUuid(id) ? await this.store.byId(this.organizationId, id) : undefined;
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

  private async uniqueExternalId<T>(
    externalId: string | null | undefined,
    write: () => Promise<T>,
  ): Promise<T> {
    try {
      return await write();
    } catch (error) {
      return translateDatabaseError(error, {
        unique: () =>
          new ConflictError(`Another project already has external_id ${externalId}`, {
            field: "external_id",
          }),
      });
    }
  }
}

async function keepAnOwner(store: ProjectStore, projectId: string): Promise<void> {
  if ((await store.ownerCount(projectId)) <= 1)
    throw new ConflictError("A project's last owner cannot be removed or lose the owner role");
}
