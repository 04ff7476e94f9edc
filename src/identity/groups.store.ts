// All SQL on `groups` and `group_members`: one column list and one row parser per table, and the
// statements the group services (GraphQL's and SCIM's) run. `updated_at` has no database default:
// every insert and update here sets it.
import { randomUUID } from "node:crypto";
import { join, type Prisma, raw, type Sql, sql } from "../db/sql.js";
import { offsetPage } from "./paging.store.js";
import { parseUser, USER_COLUMNS, type User, type UserRow } from "./users.store.js";

export type Group = {
  id: string;
  organizationId: string;
  displayName: string;
  description: string | null;
  externalId: string | null;
  /** True when the group mirrors one in an external directory. */
  external: boolean;
  /** Endpoint groups the members' tokens may call (scope names). */
  permissions: string[];
  /** Bumped by every change; SCIM's ETag. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
};

/** The columns of `groups g`, in the order GroupRow lists them. */
export const GROUP_COLUMNS = raw(
  "g.id, g.organization_id, g.display_name, g.description, g.external_id, g.external, g.permissions, " +
    "g.version, g.created_at, g.updated_at",
);

export type GroupRow = {
  id: string;
  organization_id: string;
  display_name: string;
  description: string | null;
  external_id: string | null;
  external: boolean;
  permissions: string[] | null;
  version: number;
  created_at: Date;
  updated_at: Date;
};

export function parseGroup(row: GroupRow): Group {
  return {
    id: row.id,
    organizationId: row.organization_id,
    displayName: row.display_name,
    description: row.description,
    externalId: row.external_id,
    external: row.external,
    permissions: row.permissions ?? [],
    version: Number(row.version),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The columns a write may set, by property name (the only identifiers update() writes). */
export type GroupColumns = {
  displayName: string;
  description: string | null;
  externalId: string | null;
  external: boolean;
  permissions: string[];
};

const COLUMN_OF: { [K in keyof GroupColumns]: string } = {
  displayName: "display_name",
  description: "description",
  externalId: "external_id",
  external: "external",
  permissions: "permissions",
};

function columnValue<K extends keyof GroupColumns>(key: K, value: GroupColumns[K]): Prisma.Sql {
  return key === "permissions" ? sql`${value}::text[]` : sql`${value}`;
}

export class GroupStore {
  constructor(private readonly db: Sql) {}

  async byId(organizationId: string, id: string): Promise<Group | undefined> {
    const row = await this.db.maybeOne<GroupRow>(
      sql`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id = ${id}::uuid AND g.organization_id = ${organizationId}::uuid`,
      { name: "groups.byId" },
    );
    return row && parseGroup(row);
  }

  /** The groups of `ids` that belong to the organisation, in no particular order. */
  async byIds(organizationId: string, ids: readonly string[]): Promise<Group[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.rows<GroupRow>(
      sql`SELECT ${GROUP_COLUMNS} FROM groups g
        WHERE g.id = ANY(${[...ids]}::uuid[]) AND g.organization_id = ${organizationId}::uuid`,
      { name: "groups.byIds" },
    );
    return rows.map(parseGroup);
  }

  /** Groups in display-name order from `skip`, with the total. */
  async page(organizationId: string, skip: number, take: number): Promise<{ items: Group[]; total: number }> {
    const { rows, total } = await offsetPage<GroupRow>(this.db, {
      select: GROUP_COLUMNS,
      from: sql`groups g`,
      where: sql`g.organization_id = ${organizationId}::uuid`,
      orderBy: sql`g.display_name, g.id`,
      skip,
      take,
    });
    return { items: rows.map(parseGroup), total };
  }

  /**
   * For each of the organisation's groups among `groupIds`, its members in the order they joined
   * from `skip` (at most `take`), with its member count: one statement for every group of a page.
   */
  async memberPages(
    organizationId: string,
    groupIds: readonly string[],
    skip: number,
    take: number,
  ): Promise<Map<string, { items: User[]; total: number }>> {
    const pages = new Map<string, { items: User[]; total: number }>();
    if (groupIds.length === 0) return pages;
    const rows = await this.db.rows<Partial<UserRow> & { member_of: string; total: string }>(
      sql`SELECT g.id AS member_of, c.total, p.*
        FROM groups g
        CROSS JOIN LATERAL (SELECT count(*) AS total FROM group_members gm WHERE gm.group_id = g.id) c
        LEFT JOIN LATERAL (
          SELECT ${USER_COLUMNS}, gm.created_at AS joined_at FROM group_members gm JOIN users u ON u.id = gm.user_id
          WHERE gm.group_id = g.id ORDER BY gm.created_at, gm.user_id OFFSET ${skip} LIMIT ${take}
        ) p ON true
        WHERE g.id = ANY(${[...groupIds]}::uuid[]) AND g.organization_id = ${organizationId}::uuid
        ORDER BY g.id, p.joined_at, p.id`,
      { name: "groups.memberPages" },
    );
    for (const row of rows) {
      const page = pages.get(row.member_of) ?? { items: [], total: Number(row.total) };
      if (row.id) page.items.push(parseUser(row as UserRow));
      pages.set(row.member_of, page);
    }
    return pages;
  }

  /** For each of `userIds`, its groups by display name (one statement for them all). */
  async groupsOfUsers(organizationId: string, userIds: readonly string[]): Promise<Map<string, Group[]>> {
    const map = new Map<string, Group[]>();
    if (userIds.length === 0) return map;
    const rows = await this.db.rows<GroupRow & { member_id: string }>(
      sql`SELECT gm.user_id AS member_id, ${GROUP_COLUMNS}
        FROM group_members gm JOIN groups g ON g.id = gm.group_id
        WHERE gm.user_id = ANY(${[...userIds]}::uuid[]) AND g.organization_id = ${organizationId}::uuid
        ORDER BY g.display_name, g.id`,
      { name: "groups.ofUsers" },
    );
    for (const row of rows) {
      const list = map.get(row.member_id) ?? [];
      list.push(parseGroup(row));
      map.set(row.member_id, list);
    }
    return map;
  }

  /** A new group; permissions left out take the column's default. */
  async insert(
    organizationId: string,
    columns: { displayName: string } & Partial<GroupColumns>,
  ): Promise<Group> {
    const permissions =
      columns.permissions === undefined ? sql`DEFAULT` : columnValue("permissions", columns.permissions);
    const row = await this.db.maybeOne<GroupRow>(
      sql`INSERT INTO groups AS g (id, organization_id, display_name, description, external_id, external,
          permissions, updated_at)
        VALUES (${randomUUID()}::uuid, ${organizationId}::uuid, ${columns.displayName},
          ${columns.description ?? null}, ${columns.externalId ?? null}, ${columns.external ?? false},
          ${permissions}, now())
        RETURNING ${GROUP_COLUMNS}`,
      { name: "groups.insert" },
    );
    return parseGroup(row!);
  }

  /**
   * Sets the given columns (undefined ones are left as they are) and bumps the version: with no
   * column, only the version changes (membership writes). The group as it now is, or undefined
   * when it is not the organisation's.
   */
  async update(
    organizationId: string,
    id: string,
    changes: Partial<GroupColumns> = {},
  ): Promise<Group | undefined> {
    const sets = (Object.keys(COLUMN_OF) as (keyof GroupColumns)[])
      .filter((key) => changes[key] !== undefined)
      .map(
        (key) => sql`${raw(COLUMN_OF[key])} = ${columnValue(key, changes[key] as GroupColumns[typeof key])}`,
      );
    const row = await this.db.maybeOne<GroupRow>(
      sql`UPDATE groups AS g SET ${join([...sets, sql`version = g.version + 1`, sql`updated_at = now()`], ", ")}
        WHERE g.id = ${id}::uuid AND g.organization_id = ${organizationId}::uuid
        RETURNING ${GROUP_COLUMNS}`,
    );
    return row && parseGroup(row);
  }

  /** Deletes the group (its memberships go with it). */
  async delete(organizationId: string, id: string): Promise<void> {
    await this.db.execute(
      sql`DELETE FROM groups WHERE id = ${id}::uuid AND organization_id = ${organizationId}::uuid`,
      { name: "groups.delete" },
    );
  }

  /** The user ids of a group's members. */
  async memberIds(groupId: string): Promise<string[]> {
    const rows = await this.db.rows<{ user_id: string }>(
      sql`SELECT user_id FROM group_members WHERE group_id = ${groupId}::uuid`,
      { name: "groups.memberIds" },
    );
    return rows.map((row) => row.user_id);
  }

  /** Adds memberships; users already in the group are left as they are. */
  async addMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.db.execute(
      sql`INSERT INTO group_members (group_id, user_id)
        SELECT ${groupId}::uuid, user_id FROM unnest(${[...userIds]}::uuid[]) AS ids(user_id)
        ON CONFLICT DO NOTHING`,
      { name: "groups.addMembers" },
    );
  }

  /** Removes memberships; how many there were. */
  async removeMembers(groupId: string, userIds: readonly string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    return this.db.execute(
      sql`DELETE FROM group_members WHERE group_id = ${groupId}::uuid AND user_id = ANY(${[...userIds]}::uuid[])`,
      { name: "groups.removeMembers" },
    );
  }

  /** New versions for the organisation's groups that `userId` is a member of. */
  async bumpGroupsOf(organizationId: string, userId: string): Promise<void> {
    await this.db.execute(
      sql`UPDATE groups SET version = version + 1, updated_at = now()
        WHERE organization_id = ${organizationId}::uuid
          AND id IN (SELECT group_id FROM group_members WHERE user_id = ${userId}::uuid)`,
      { name: "groups.bumpGroupsOf" },
    );
  }

  /** Takes the user out of every group, and gives those groups new versions. */
  async removeFromAllGroups(userId: string): Promise<void> {
    await this.db.execute(
      sql`WITH gone AS (DELETE FROM group_members WHERE user_id = ${userId}::uuid RETURNING group_id)
        UPDATE groups SET version = version + 1, updated_at = now() WHERE id IN (SELECT group_id FROM gone)`,
      { name: "groups.removeFromAll" },
    );
  }
}
