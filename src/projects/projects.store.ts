// All of the projects' and members' SQL (seed 002). One column list per table, rows parsed into
// `Project` and `ProjectMember` by one function each. Lookups by key are named (prepared once per
// connection); listings with optional filters are built per request and stay unnamed.

import { empty, join, type Prisma, raw, type Sql, type SqlPool, sql, sqlOf } from "../db/sql.js";
import type { PrismaClient } from "../generated/prisma/client.js";

export type Project = {
  id: string;
  organizationId: string;
  name: string;
  description: string | null;
  externalId: string | null;
  /** active | archived */
  status: string;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

export type ProjectMember = {
  id: string;
  organizationId: string;
  projectId: string;
  userId: string;
  /** owner | editor | viewer */
  role: string;
  createdAt: Date;
  updatedAt: Date;
};

/** What a membership shows of its user (REST's email and display_name). */
export type MemberUser = { id: string; email: string; displayName: string };
export type MemberWithUser = ProjectMember & { user: MemberUser };

/** Where a keyset page of members starts and ends: (created_at, id) of a member. */
export type MemberKey = { createdAt: Date; id: string };
export type MemberWindow = { after?: MemberKey; before?: MemberKey; limit: number; inverted: boolean };

type ProjectRow = {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  external_id: string | null;
  status: string;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

type MemberRow = {
  id: string;
  organization_id: string;
  project_id: string;
  user_id: string;
  role: string;
  created_at: Date;
  updated_at: Date;
};

type MemberWithUserRow = MemberRow & { user_email: string; user_display_name: string };

const PROJECT_COLUMNS = raw(
  "id, organization_id, name, description, external_id, status, archived_at, created_at, updated_at",
);
/** Qualified with `m.`, for statements that join the member's user (`u.`). */
const MEMBER_COLUMNS = "m.id, m.organization_id, m.project_id, m.user_id, m.role, m.created_at, m.updated_at";
const MEMBER_USER_COLUMNS = raw(
  `${MEMBER_COLUMNS}, u.email AS user_email, u.display_name AS user_display_name`,
);
const MEMBER_ORDER = raw("m.created_at ASC, m.id ASC");

function parseProject(row: ProjectRow): Project {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    description: row.description,
    externalId: row.external_id,
    status: row.status,
    archivedAt: row.archived_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function parseMember(row: MemberRow): ProjectMember {
  return {
    id: row.id,
    organizationId: row.organization_id,
    projectId: row.project_id,
    userId: row.user_id,
    role: row.role,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function parseMemberWithUser(row: MemberWithUserRow): MemberWithUser {
  return {
    ...parseMember(row),
    user: { id: row.user_id, email: row.user_email, displayName: row.user_display_name },
  };
}

export type ProjectFilter = {
  externalId?: string | undefined;
  /** Only projects of this status; undefined for every status. */
  status?: string | undefined;
};

export type ProjectPatch = {
  name?: string | undefined;
  description?: string | null | undefined;
  externalId?: string | null | undefined;
  status?: string | undefined;
  /** Set with a status change: now when archiving, null when restoring. */
  archived?: boolean | undefined;
};

export class ProjectStore {
  constructor(
    private readonly db: Sql,
    /** Absent on a store bound to a transaction (see `transaction`). */
    private readonly pool?: SqlPool,
  ) {}

  static of(prisma: PrismaClient): ProjectStore {
    const pool = sqlOf(prisma);
    return new ProjectStore(pool, pool);
  }

  /**
   * Runs `work` in one transaction (retried on serialisation failures and deadlocks) with a store
   * bound to it; `tx` is for the catalog's folder statements, which belong to the same change.
   */
  transaction<T>(work: (store: ProjectStore, tx: Sql) => Promise<T>): Promise<T> {
    if (!this.pool) throw new Error("ProjectStore: already inside a transaction");
    return this.pool.transaction((tx) => work(new ProjectStore(tx), tx));
  }

  async byId(organizationId: string, id: string): Promise<Project | undefined> {
    const row = await this.db.maybeOne<ProjectRow>(
      sql`SELECT ${PROJECT_COLUMNS} FROM projects WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid`,
      { name: "projects.byId" },
    );
    return row && parseProject(row);
  }

  async byIds(organizationId: string, ids: readonly string[]): Promise<Project[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.rows<ProjectRow>(
      sql`SELECT ${PROJECT_COLUMNS} FROM projects
          WHERE id = ANY(${[...ids]}::uuid[]) AND organization_id = ${organizationId}::uuid`,
      { name: "projects.byIds" },
    );
    return rows.map(parseProject);
  }

  /** A page in creation order and the total of the filtered projects, in one statement. */
  async page(
    organizationId: string,
    filter: ProjectFilter,
    skip: number,
    take: number,
  ): Promise<{ items: Project[]; total: number }> {
    const conditions = [sql`organization_id = ${organizationId}::uuid`];
    if (filter.externalId !== undefined) conditions.push(sql`external_id = ${filter.externalId}`);
    if (filter.status !== undefined) conditions.push(sql`status = ${filter.status}`);
    const where = join(conditions, " AND ");
    const rows = await this.db.rows<ProjectRow & { total: number }>(
      sql`SELECT counted.total, page.* FROM
            (SELECT count(*)::int AS total FROM projects WHERE ${where}) counted
          LEFT JOIN LATERAL (
            SELECT ${PROJECT_COLUMNS}, row_number() OVER (ORDER BY created_at ASC, id ASC) AS position
            FROM projects WHERE ${where}
            ORDER BY created_at ASC, id ASC LIMIT ${take} OFFSET ${skip}
          ) page ON true
          ORDER BY page.position`,
    );
    return { items: rows.filter((row) => row.id !== null).map(parseProject), total: rows[0]?.total ?? 0 };
  }

  /**
   * A new project and its owner's membership in one statement. Throws the unique violation of
   * (organization, external_id) as it comes.
   */
  async insertWithOwner(data: {
    organizationId: string;
    name: string;
    description: string | null;
    externalId: string | null;
    ownerId: string;
    status?: string;
    archived?: boolean;
  }): Promise<Project> {
    const row = await this.db.maybeOne<ProjectRow>(
      sql`WITH project AS (
            INSERT INTO projects (id, organization_id, name, description, external_id, status, archived_at,
                                  created_at, updated_at)
            VALUES (gen_random_uuid(), ${data.organizationId}::uuid, ${data.name}, ${data.description},
                    ${data.externalId}, ${data.status ?? "active"},
                    CASE WHEN ${data.archived ?? false}::boolean THEN now() END, now(), now())
            RETURNING ${PROJECT_COLUMNS}
          ), owner AS (
            INSERT INTO project_members (id, organization_id, project_id, user_id, role, created_at, updated_at)
            SELECT gen_random_uuid(), organization_id, id, ${data.ownerId}::uuid, 'owner', now(), now()
            FROM project
          )
          SELECT ${PROJECT_COLUMNS} FROM project`,
      { name: "projects.insertWithOwner" },
    );
    return parseProject(row!);
  }

  /** The project as changed (fields left undefined are kept), or undefined when it is gone. */
  async update(organizationId: string, id: string, patch: ProjectPatch): Promise<Project | undefined> {
    const sets: Prisma.Sql[] = [sql`updated_at = now()`];
    if (patch.name !== undefined) sets.push(sql`name = ${patch.name}`);
    if (patch.description !== undefined) sets.push(sql`description = ${patch.description}`);
    if (patch.externalId !== undefined) sets.push(sql`external_id = ${patch.externalId}`);
    if (patch.status !== undefined) sets.push(sql`status = ${patch.status}`);
    if (patch.archived !== undefined)
      sets.push(patch.archived ? sql`archived_at = now()` : sql`archived_at = NULL`);
    const row = await this.db.maybeOne<ProjectRow>(
      sql`UPDATE projects SET ${join(sets, ", ")}
          WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid
          RETURNING ${PROJECT_COLUMNS}`,
    );
    return row && parseProject(row);
  }

  /** Archives an active project; undefined when there is no active project of that id. */
  async archive(organizationId: string, id: string): Promise<Project | undefined> {
    const row = await this.db.maybeOne<ProjectRow>(
      sql`UPDATE projects SET status = 'archived', archived_at = now(), updated_at = now()
          WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid AND status <> 'archived'
          RETURNING ${PROJECT_COLUMNS}`,
      { name: "projects.archive" },
    );
    return row && parseProject(row);
  }

  /**
   * Membership changes of one project run one at a time: the row lock makes a concurrent PUT of
   * the same user see the first one's member, and keeps two removals from taking the last owner.
   */
  async lock(projectId: string): Promise<void> {
    await this.db.execute(sql`SELECT id FROM projects WHERE id = ${projectId}::uuid FOR UPDATE`, {
      name: "projects.lock",
    });
  }

  /** Whether the user is in the organisation and active; undefined when there is no such user. */
  async userStatus(
    organizationId: string,
    userId: string,
  ): Promise<{ id: string; active: boolean } | undefined> {
    return this.db.maybeOne<{ id: string; active: boolean }>(
      sql`SELECT id, active FROM users WHERE id = ${userId}::uuid AND organization_id = ${organizationId}::uuid`,
      { name: "projects.userStatus" },
    );
  }

  async member(projectId: string, userId: string): Promise<MemberWithUser | undefined> {
    const row = await this.db.maybeOne<MemberWithUserRow>(
      sql`SELECT ${MEMBER_USER_COLUMNS} FROM project_members m JOIN users u ON u.id = m.user_id
          WHERE m.project_id = ${projectId}::uuid AND m.user_id = ${userId}::uuid`,
      { name: "projects.member" },
    );
    return row && parseMemberWithUser(row);
  }

  async ownerCount(projectId: string): Promise<number> {
    const row = await this.db.maybeOne<{ owners: number }>(
      sql`SELECT count(*)::int AS owners FROM project_members WHERE project_id = ${projectId}::uuid AND role = 'owner'`,
      { name: "projects.ownerCount" },
    );
    return row?.owners ?? 0;
  }

  async insertMember(data: {
    organizationId: string;
    projectId: string;
    userId: string;
    role: string;
  }): Promise<MemberWithUser> {
    const row = await this.db.maybeOne<MemberWithUserRow>(
      sql`WITH m AS (
            INSERT INTO project_members (id, organization_id, project_id, user_id, role, created_at, updated_at)
            VALUES (gen_random_uuid(), ${data.organizationId}::uuid, ${data.projectId}::uuid, ${data.userId}::uuid,
                    ${data.role}, now(), now())
            RETURNING *
          )
          SELECT ${MEMBER_USER_COLUMNS} FROM m JOIN users u ON u.id = m.user_id`,
      { name: "projects.insertMember" },
    );
    return parseMemberWithUser(row!);
  }

  async updateMemberRole(memberId: string, role: string): Promise<MemberWithUser> {
    const row = await this.db.maybeOne<MemberWithUserRow>(
      sql`WITH m AS (
            UPDATE project_members SET role = ${role}, updated_at = now() WHERE id = ${memberId}::uuid
            RETURNING *
          )
          SELECT ${MEMBER_USER_COLUMNS} FROM m JOIN users u ON u.id = m.user_id`,
      { name: "projects.updateMemberRole" },
    );
    return parseMemberWithUser(row!);
  }

  async deleteMember(memberId: string): Promise<void> {
    await this.db.execute(sql`DELETE FROM project_members WHERE id = ${memberId}::uuid`, {
      name: "projects.deleteMember",
    });
  }

  /** A page of a project's members in the order they joined, with their total, in one statement. */
  async membersPage(
    projectId: string,
    skip: number,
    take: number,
  ): Promise<{ items: MemberWithUser[]; total: number }> {
    const rows = await this.db.rows<MemberWithUserRow & { total: number }>(
      sql`SELECT counted.total, page.* FROM
            (SELECT count(*)::int AS total FROM project_members WHERE project_id = ${projectId}::uuid) counted
          LEFT JOIN LATERAL (
            SELECT ${MEMBER_USER_COLUMNS}, row_number() OVER (ORDER BY ${MEMBER_ORDER}) AS position
            FROM project_members m JOIN users u ON u.id = m.user_id
            WHERE m.project_id = ${projectId}::uuid
            ORDER BY ${MEMBER_ORDER} LIMIT ${take} OFFSET ${skip}
          ) page ON true
          ORDER BY page.position`,
      { name: "projects.membersPage" },
    );
    return {
      items: rows.filter((row) => row.id !== null).map(parseMemberWithUser),
      total: rows[0]?.total ?? 0,
    };
  }

  /**
   * One keyset window of members for each project, with each project's total, in one statement
   * (GraphQL's Project.members over a page of projects). Inverted windows come newest first.
   */
  async membersOfProjects(
    projectIds: readonly string[],
    window: MemberWindow,
  ): Promise<Map<string, { members: MemberWithUser[]; total: number }>> {
    const bounds: Prisma.Sql[] = [];
    if (window.after)
      bounds.push(
        sql`(m.created_at, m.id) > (${window.after.createdAt}::timestamptz, ${window.after.id}::uuid)`,
      );
    if (window.before)
      bounds.push(
        sql`(m.created_at, m.id) < (${window.before.createdAt}::timestamptz, ${window.before.id}::uuid)`,
      );
    const order = window.inverted ? raw("m.created_at DESC, m.id DESC") : MEMBER_ORDER;
    const rows = await this.db.rows<MemberWithUserRow & { wanted: string; total: number }>(
      sql`SELECT wanted.id AS wanted,
                 (SELECT count(*)::int FROM project_members c WHERE c.project_id = wanted.id) AS total,
                 page.*
          FROM unnest(${[...projectIds]}::uuid[]) WITH ORDINALITY AS wanted(id, n)
          LEFT JOIN LATERAL (
            SELECT ${MEMBER_USER_COLUMNS}, row_number() OVER (ORDER BY ${order}) AS position
            FROM project_members m JOIN users u ON u.id = m.user_id
            WHERE m.project_id = wanted.id${bounds.length > 0 ? sql` AND ${join(bounds, " AND ")}` : empty}
            ORDER BY ${order} LIMIT ${window.limit}
          ) page ON true
          ORDER BY wanted.n, page.position`,
    );
    const result = new Map<string, { members: MemberWithUser[]; total: number }>();
    for (const row of rows) {
      const entry = result.get(row.wanted) ?? { members: [], total: row.total };
      if (row.id !== null) entry.members.push(parseMemberWithUser(row));
      result.set(row.wanted, entry);
    }
    return result;
  }

  async membersByIds(organizationId: string, ids: readonly string[]): Promise<MemberWithUser[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.rows<MemberWithUserRow>(
      sql`SELECT ${MEMBER_USER_COLUMNS} FROM project_members m JOIN users u ON u.id = m.user_id
          WHERE m.id = ANY(${[...ids]}::uuid[]) AND m.organization_id = ${organizationId}::uuid`,
      { name: "projects.membersByIds" },
    );
    return rows.map(parseMemberWithUser);
  }

  /** The active projects of each user, in the order the user joined them. */
  async activeProjectsOfUsers(
    organizationId: string,
    userIds: readonly string[],
  ): Promise<Array<{ userId: string; project: Project }>> {
    if (userIds.length === 0) return [];
    const rows = await this.db.rows<ProjectRow & { member_user_id: string }>(
      sql`SELECT m.user_id AS member_user_id, p.id, p.organization_id, p.name, p.description, p.external_id,
                 p.status, p.archived_at, p.created_at, p.updated_at
          FROM project_members m JOIN projects p ON p.id = m.project_id
          WHERE m.user_id = ANY(${[...userIds]}::uuid[]) AND m.organization_id = ${organizationId}::uuid
            AND p.status = 'active'
          ORDER BY ${MEMBER_ORDER}`,
      { name: "projects.activeProjectsOfUsers" },
    );
    return rows.map((row) => ({ userId: row.member_user_id, project: parseProject(row) }));
  }

  /** The organisation's users, oldest first (the demo seed's members). */
  async organizationUserIds(organizationId: string): Promise<string[]> {
    const rows = await this.db.rows<{ id: string }>(
      sql`SELECT id FROM users WHERE organization_id = ${organizationId}::uuid ORDER BY created_at ASC`,
    );
    return rows.map((row) => row.id);
  }
}
