// SCIM's SQL over the identity tables (their column lists and row parsers are the identity
// stores'): filters narrowed into SQL conditions, the listings they filter, the row locks SCIM
// writes take, and the uniqueness checks that name a clash. Filters reach SQL only as fixed
// column references chosen by a switch over known attribute paths, with every compared value a
// bound parameter.
import { isUuid } from "../db/ids.js";
import { empty, join, type Prisma, type Sql, sql } from "../db/sql.js";
import { GROUP_COLUMNS, type Group, type GroupRow, parseGroup } from "../identity/groups.store.js";
import { offsetPage } from "../identity/paging.store.js";
import { parseUser, USER_COLUMNS, type User, type UserRow } from "../identity/users.store.js";
import type { CompiledFilter } from "./scim.attributes.js";
import { narrowable } from "./scim.query.js";
import { NOT_DELETED_OVER_SCIM } from "./scim.visibility.js";

/** A group as a user's document lists it. */
export type GroupRef = { id: string; displayName: string };
/** A member as a group's document lists it. */
export type Member = { userId: string; displayName: string };

const NOTHING = sql`FALSE`;

function path(steps: readonly { key: string }[]): string {
  return steps.map((s) => s.key).join(".");
}

/** and/or/valuePath narrowed part by part; `leaf` narrows one `eq` comparison. */
function narrow(
  filter: CompiledFilter,
  prefix: string,
  leaf: (attribute: string, value: unknown) => Prisma.Sql | undefined,
): Prisma.Sql | undefined {
  switch (filter.op) {
    case "and": {
      const parts = filter.filters.map((f) => narrow(f, prefix, leaf)).filter((p) => p !== undefined);
      return parts.length > 0 ? sql`(${join(parts, " AND ")})` : undefined;
    }
    case "or": {
      const parts = filter.filters.map((f) => narrow(f, prefix, leaf));
      return parts.every((p) => p !== undefined) ? sql`(${join(parts as Prisma.Sql[], " OR ")})` : undefined;
    }
    case "valuePath":
      return narrow(filter.filter, `${prefix}${path(filter.steps)}.`, leaf);
    case "eq":
      return leaf(`${prefix}${path(filter.steps)}`, filter.value);
    default:
      return undefined;
  }
}

/**
 * A condition on `users u` that every match of `filter` satisfies, or undefined when SQL cannot
 * narrow it: a superset of the matches, which are then evaluated exactly in memory.
 */
export function narrowUsers(filter: CompiledFilter): Prisma.Sql | undefined {
  return narrow(filter, "", (attribute, value) => {
    if (attribute === "active") return typeof value === "boolean" ? sql`u.active = ${value}` : undefined;
    if (typeof value !== "string") return undefined;
    switch (attribute) {
      case "id":
        return isUuid(value) ? sql`u.id = ${value}::uuid` : NOTHING;
      case "externalId":
        return sql`u.external_id = ${value}`;
    }
    // Case-insensitive comparisons only for ASCII, where SQL's lower() and JavaScript agree.
    if (!narrowable(value)) return undefined;
    switch (attribute) {
      case "userName":
        return sql`(lower(u.user_name) = lower(${value}::text) OR (u.user_name IS NULL AND lower(u.email) = lower(${value}::text)))`;
      case "emails.value":
        // The primary address is `email`; the others are in scim_emails, stored lower-cased.
        return sql`(lower(u.email) = lower(${value}::text)
          OR u.scim_emails @> jsonb_build_array(jsonb_build_object('value', lower(${value}::text))))`;
      case "displayName":
        return sql`lower(u.display_name) = lower(${value}::text)`;
      case "name.givenName":
        return sql`lower(u.given_name) = lower(${value}::text)`;
      case "name.familyName":
        return sql`lower(u.family_name) = lower(${value}::text)`;
      default:
        return undefined;
    }
  });
}

/** A condition on `groups g` that every match of `filter` satisfies, or undefined. */
export function narrowGroups(filter: CompiledFilter): Prisma.Sql | undefined {
  return narrow(filter, "", (attribute, value) => {
    if (attribute === "external") return typeof value === "boolean" ? sql`g.external = ${value}` : undefined;
    if (typeof value !== "string") return undefined;
    switch (attribute) {
      case "id":
        return isUuid(value) ? sql`g.id = ${value}::uuid` : NOTHING;
      case "externalId":
        return sql`g.external_id = ${value}`;
      case "members.value":
        return isUuid(value)
          ? sql`EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = ${value}::uuid)`
          : NOTHING;
      case "displayName":
        return narrowable(value) ? sql`lower(g.display_name) = lower(${value}::text)` : undefined;
      default:
        return undefined;
    }
  });
}

export class ScimStore {
  constructor(private readonly db: Sql) {}

  // ---------------------------------------------------------------------------------------------
  // Users: those deleted over SCIM are never seen here.

  private visibleUsers(organizationId: string): Prisma.Sql {
    return sql`u.organization_id = ${organizationId}::uuid AND ${NOT_DELETED_OVER_SCIM}`;
  }

  /** Visible users in creation order from `skip`, with their total. */
  async usersPage(
    organizationId: string,
    skip: number,
    take: number,
  ): Promise<{ items: User[]; total: number }> {
    const { rows, total } = await offsetPage<UserRow>(this.db, {
      select: USER_COLUMNS,
      from: sql`users u`,
      where: this.visibleUsers(organizationId),
      orderBy: sql`u.created_at, u.id`,
      skip,
      take,
    });
    return { items: rows.map(parseUser), total };
  }

  /** Visible users matching `narrowed` (all of them when undefined) in creation order, at most `limit`. */
  async userCandidates(
    organizationId: string,
    narrowed: Prisma.Sql | undefined,
    limit: number,
  ): Promise<User[]> {
    const rows = await this.db.rows<UserRow>(
      sql`SELECT ${USER_COLUMNS} FROM users u
        WHERE ${this.visibleUsers(organizationId)} ${narrowed ? sql`AND ${narrowed}` : empty}
        ORDER BY u.created_at, u.id LIMIT ${limit}`,
    );
    return rows.map(parseUser);
  }

  async visibleUser(organizationId: string, id: string): Promise<User | undefined> {
    const row = await this.db.maybeOne<UserRow>(
      sql`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ${id}::uuid AND ${this.visibleUsers(organizationId)}`,
      { name: "scim.visibleUser" },
    );
    return row && parseUser(row);
  }

  /**
   * The visible user, locked until the transaction ends: concurrent changes of one user serialise.
   * Its groups are key-share locked first, in id order: a rename or delete bumps their versions,
   * and group writes lock the group before its members, so taking the user first could deadlock.
   */
  async lockUser(organizationId: string, id: string): Promise<User | undefined> {
    await this.db.execute(
      sql`SELECT id FROM groups
        WHERE organization_id = ${organizationId}::uuid
          AND id IN (SELECT group_id FROM group_members WHERE user_id = ${id}::uuid)
        ORDER BY id FOR KEY SHARE`,
      { name: "scim.lockGroupsOfUser" },
    );
    const row = await this.db.maybeOne<UserRow>(
      sql`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ${id}::uuid AND ${this.visibleUsers(organizationId)}
        FOR UPDATE`,
      { name: "scim.lockUser" },
    );
    return row && parseUser(row);
  }

  /** For each user, its groups of the organisation by display name (one statement for all). */
  async groupsOfUsers(organizationId: string, userIds: readonly string[]): Promise<Map<string, GroupRef[]>> {
    const map = new Map<string, GroupRef[]>();
    if (userIds.length === 0) return map;
    const rows = await this.db.rows<{ user_id: string; id: string; display_name: string }>(
      sql`SELECT gm.user_id, g.id, g.display_name FROM group_members gm JOIN groups g ON g.id = gm.group_id
        WHERE gm.user_id = ANY(${[...userIds]}::uuid[]) AND g.organization_id = ${organizationId}::uuid
        ORDER BY g.display_name, gm.group_id`,
      { name: "scim.groupsOfUsers" },
    );
    for (const row of rows) {
      const list = map.get(row.user_id) ?? [];
      list.push({ id: row.id, displayName: row.display_name });
      map.set(row.user_id, list);
    }
    return map;
  }

  /**
   * Another user (not `selfId`) of the organisation holding the userName (case-insensitively; a
   * user without one answers to its e-mail), the e-mail or the externalId; undefined if none.
   */
  async userClash(
    organizationId: string,
    fields: { userName: string; email: string; externalId: string | null },
    selfId: string | null,
  ): Promise<{ userName: string; email: string; externalId: string | null } | undefined> {
    return this.db.maybeOne(
      sql`SELECT coalesce(user_name, email) AS "userName", email, external_id AS "externalId" FROM users
        WHERE organization_id = ${organizationId}::uuid
          AND (${selfId}::uuid IS NULL OR id <> ${selfId}::uuid)
          AND (lower(coalesce(user_name, email)) = lower(${fields.userName}::text)
            OR email = ${fields.email}::text
            OR (${fields.externalId}::text IS NOT NULL AND external_id = ${fields.externalId}::text))
        LIMIT 1`,
      { name: "scim.userClash" },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Groups

  private groupsOf(organizationId: string): Prisma.Sql {
    return sql`g.organization_id = ${organizationId}::uuid`;
  }

  /** The organisation's groups in creation order from `skip`, with their total. */
  async groupsPage(
    organizationId: string,
    skip: number,
    take: number,
  ): Promise<{ items: Group[]; total: number }> {
    const { rows, total } = await offsetPage<GroupRow>(this.db, {
      select: GROUP_COLUMNS,
      from: sql`groups g`,
      where: this.groupsOf(organizationId),
      orderBy: sql`g.created_at, g.id`,
      skip,
      take,
    });
    return { items: rows.map(parseGroup), total };
  }

  /** Groups matching `narrowed` (all when undefined) in creation order, at most `limit`. */
  async groupCandidates(
    organizationId: string,
    narrowed: Prisma.Sql | undefined,
    limit: number,
  ): Promise<Group[]> {
    const rows = await this.db.rows<GroupRow>(
      sql`SELECT ${GROUP_COLUMNS} FROM groups g
        WHERE ${this.groupsOf(organizationId)} ${narrowed ? sql`AND ${narrowed}` : empty}
        ORDER BY g.created_at, g.id LIMIT ${limit}`,
    );
    return rows.map(parseGroup);
  }

  /** The group, locked until the transaction ends. */
  async lockGroup(organizationId: string, id: string): Promise<Group | undefined> {
    const row = await this.db.maybeOne<GroupRow>(
      sql`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id = ${id}::uuid AND ${this.groupsOf(organizationId)}
        FOR UPDATE`,
      { name: "scim.lockGroup" },
    );
    return row && parseGroup(row);
  }

  /** For each group, its members that SCIM shows, in the order they joined (one statement). */
  async membersOf(groupIds: readonly string[]): Promise<Map<string, Member[]>> {
    const map = new Map<string, Member[]>();
    if (groupIds.length === 0) return map;
    const rows = await this.db.rows<{ group_id: string; user_id: string; display_name: string }>(
      sql`SELECT gm.group_id, gm.user_id, u.display_name FROM group_members gm JOIN users u ON u.id = gm.user_id
        WHERE gm.group_id = ANY(${[...groupIds]}::uuid[]) AND ${NOT_DELETED_OVER_SCIM}
        ORDER BY gm.created_at, gm.user_id`,
      { name: "scim.membersOf" },
    );
    for (const row of rows) {
      const list = map.get(row.group_id) ?? [];
      list.push({ userId: row.user_id, displayName: row.display_name });
      map.set(row.group_id, list);
    }
    return map;
  }

  /**
   * Whether another group (not `selfId`) has the name (case-insensitively) or the externalId; a
   * null `name` or `externalId` is not checked. Undefined when there is no clash.
   */
  async groupClash(
    organizationId: string,
    name: string | null,
    externalId: string | null,
    selfId: string | null,
  ): Promise<{ nameClash: boolean } | undefined> {
    return this.db.maybeOne(
      sql`SELECT (${name}::text IS NOT NULL AND lower(display_name) = lower(${name}::text)) AS "nameClash"
        FROM groups
        WHERE organization_id = ${organizationId}::uuid
          AND (${selfId}::uuid IS NULL OR id <> ${selfId}::uuid)
          AND ((${name}::text IS NOT NULL AND lower(display_name) = lower(${name}::text))
            OR (${externalId}::text IS NOT NULL AND external_id = ${externalId}::text))
        LIMIT 1`,
      { name: "scim.groupClash" },
    );
  }
}
