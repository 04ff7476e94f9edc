// All SQL on `users`: one column list, one row parser, and the statements the identity and SCIM
// services run. `updated_at` has no database default (Prisma's @updatedAt filled it in): every
// insert and update here sets it.
import { randomUUID } from "node:crypto";
import { empty, join, type Prisma, raw, type Sql, sql } from "../db/sql.js";
import { NOT_DELETED_OVER_SCIM } from "../scim/scim.visibility.js";
import { offsetPage } from "./paging.store.js";

/** One of a user's SCIM e-mail addresses (RFC 7643 §4.1.2), as stored. */
export type ScimEmail = { value: string; type?: string; display?: string; primary?: true };

export type User = {
  id: string;
  organizationId: string;
  email: string;
  displayName: string;
  /** owner | admin | member */
  role: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
  externalId: string | null;
  /** SCIM userName; null means the e-mail. */
  userName: string | null;
  givenName: string | null;
  familyName: string | null;
  scimRoles: string[];
  /** The SCIM enterprise extension as last provisioned (a JSON object), or null. */
  scimEnterprise: unknown;
  /** Every SCIM e-mail as last provisioned (the primary's value is `email`), or null: `email` only. */
  scimEmails: ScimEmail[] | null;
  /** Bumped by every change; SCIM's ETag. */
  version: number;
};

/** The columns of `users u`, in the order UserRow lists them. */
export const USER_COLUMNS = raw(
  "u.id, u.organization_id, u.email, u.display_name, u.role, u.active, u.created_at, u.updated_at, " +
    "u.external_id, u.user_name, u.given_name, u.family_name, u.scim_roles, u.scim_enterprise, u.scim_emails, u.version",
);

export type UserRow = {
  id: string;
  organization_id: string;
  email: string;
  display_name: string;
  role: string;
  active: boolean;
  created_at: Date;
  updated_at: Date;
  external_id: string | null;
  user_name: string | null;
  given_name: string | null;
  family_name: string | null;
  scim_roles: string[] | null;
  scim_enterprise: unknown;
  scim_emails: ScimEmail[] | null;
  version: number;
};

export function parseUser(row: UserRow): User {
  return {
    id: row.id,
    organizationId: row.organization_id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    active: row.active,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    externalId: row.external_id,
    userName: row.user_name,
    givenName: row.given_name,
    familyName: row.family_name,
    scimRoles: row.scim_roles ?? [],
    scimEnterprise: row.scim_enterprise ?? null,
    scimEmails: Array.isArray(row.scim_emails) ? row.scim_emails : null,
    version: Number(row.version),
  };
}

/** The columns a write may set, by property name (the only identifiers update() writes). */
export type UserColumns = {
  email: string;
  displayName: string;
  role: string;
  active: boolean;
  externalId: string | null;
  userName: string | null;
  givenName: string | null;
  familyName: string | null;
  scimRoles: string[];
  scimEnterprise: Record<string, unknown> | null;
  scimEmails: ScimEmail[] | null;
};

const COLUMN_OF: { [K in keyof UserColumns]: string } = {
  email: "email",
  displayName: "display_name",
  role: "role",
  active: "active",
  externalId: "external_id",
  userName: "user_name",
  givenName: "given_name",
  familyName: "family_name",
  scimRoles: "scim_roles",
  scimEnterprise: "scim_enterprise",
  scimEmails: "scim_emails",
};

function columnValue<K extends keyof UserColumns>(key: K, value: UserColumns[K]): Prisma.Sql {
  if (key === "scimEnterprise" || key === "scimEmails")
    return value === null ? sql`NULL` : sql`${JSON.stringify(value)}::jsonb`;
  if (key === "scimRoles") return sql`${value}::text[]`;
  return sql`${value}`;
}

/** A user's keyset position in creation order. */
export type UserKey = { createdAt: Date; id: string };

export class UserStore {
  constructor(private readonly db: Sql) {}

  async byId(organizationId: string, id: string): Promise<User | undefined> {
    const row = await this.db.maybeOne<UserRow>(
      sql`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ${id}::uuid AND u.organization_id = ${organizationId}::uuid`,
      { name: "users.byId" },
    );
    return row && parseUser(row);
  }

  /** The users of `ids` that belong to the organisation, in no particular order. */
  async byIds(organizationId: string, ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.rows<UserRow>(
      sql`SELECT ${USER_COLUMNS} FROM users u
        WHERE u.id = ANY(${[...ids]}::uuid[]) AND u.organization_id = ${organizationId}::uuid`,
      { name: "users.byIds" },
    );
    return rows.map(parseUser);
  }

  async byEmail(organizationId: string, email: string): Promise<User | undefined> {
    const row = await this.db.maybeOne<UserRow>(
      sql`SELECT ${USER_COLUMNS} FROM users u WHERE u.organization_id = ${organizationId}::uuid AND u.email = ${email}`,
      { name: "users.byEmail" },
    );
    return row && parseUser(row);
  }

  /** Which of `ids` are users of the organisation (not deleted over SCIM, when asked). */
  async existingIds(
    organizationId: string,
    ids: readonly string[],
    options: { visibleOverScim?: boolean } = {},
  ): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const visible = options.visibleOverScim ? sql`AND ${NOT_DELETED_OVER_SCIM}` : empty;
    const rows = await this.db.rows<{ id: string }>(
      sql`SELECT u.id FROM users u
        WHERE u.id = ANY(${[...ids]}::uuid[]) AND u.organization_id = ${organizationId}::uuid ${visible}`,
    );
    return new Set(rows.map((row) => row.id));
  }

  async insert(
    organizationId: string,
    columns: Partial<UserColumns> & { email: string; displayName: string },
  ) {
    const row = await this.db.maybeOne<UserRow>(
      sql`INSERT INTO users AS u (id, organization_id, email, display_name, role, active, external_id,
          user_name, given_name, family_name, scim_roles, scim_enterprise, scim_emails, updated_at)
        VALUES (${randomUUID()}::uuid, ${organizationId}::uuid, ${columns.email}, ${columns.displayName},
          ${columns.role ?? "member"}, ${columns.active ?? true}, ${columns.externalId ?? null},
          ${columns.userName ?? null}, ${columns.givenName ?? null}, ${columns.familyName ?? null},
          ${columnValue("scimRoles", columns.scimRoles ?? [])}, ${columnValue("scimEnterprise", columns.scimEnterprise ?? null)},
          ${columnValue("scimEmails", columns.scimEmails ?? null)}, now())
        RETURNING ${USER_COLUMNS}`,
      { name: "users.insert" },
    );
    return parseUser(row!);
  }

  /**
   * Sets the given columns (undefined ones are left as they are), bumps the version; the user as
   * it now is, or undefined when it is not the organisation's.
   */
  async update(organizationId: string, id: string, changes: Partial<UserColumns>): Promise<User | undefined> {
    const sets = (Object.keys(COLUMN_OF) as (keyof UserColumns)[])
      .filter((key) => changes[key] !== undefined)
      .map(
        (key) => sql`${raw(COLUMN_OF[key])} = ${columnValue(key, changes[key] as UserColumns[typeof key])}`,
      );
    const row = await this.db.maybeOne<UserRow>(
      sql`UPDATE users AS u SET ${join([...sets, sql`version = u.version + 1`, sql`updated_at = now()`], ", ")}
        WHERE u.id = ${id}::uuid AND u.organization_id = ${organizationId}::uuid
        RETURNING ${USER_COLUMNS}`,
    );
    return row && parseUser(row);
  }

  /** Active owners of the organisation, leaving out `exceptId`. */
  async countActiveOwners(organizationId: string, exceptId: string | null = null): Promise<number> {
    const row = await this.db.maybeOne<{ count: string }>(
      sql`SELECT count(*) AS count FROM users u
        WHERE u.organization_id = ${organizationId}::uuid AND u.role = 'owner' AND u.active
          AND (${exceptId}::uuid IS NULL OR u.id <> ${exceptId}::uuid)`,
      { name: "users.countActiveOwners" },
    );
    return Number(row?.count ?? 0);
  }

  /** Users in creation order from `skip`, with the total (the external id filter when given). */
  async page(
    organizationId: string,
    filter: { externalId?: string | undefined; visibleOverScim?: boolean },
    skip: number,
    take: number,
  ): Promise<{ items: User[]; total: number }> {
    const where = join(
      [
        sql`u.organization_id = ${organizationId}::uuid`,
        ...(filter.externalId !== undefined ? [sql`u.external_id = ${filter.externalId}`] : []),
        ...(filter.visibleOverScim ? [NOT_DELETED_OVER_SCIM] : []),
      ],
      " AND ",
    );
    const { rows, total } = await offsetPage<UserRow>(this.db, {
      select: USER_COLUMNS,
      from: sql`users u`,
      where,
      orderBy: sql`u.created_at, u.id`,
      skip,
      take,
    });
    return { items: rows.map(parseUser), total };
  }

  /**
   * The last `take` users in creation order (the external id filter when given), in that order,
   * with the total: one statement, read backwards from the end (GraphQL's `last` without
   * `before`, where an offset cannot be known before counting).
   */
  async pageFromEnd(
    organizationId: string,
    filter: { externalId?: string | undefined },
    take: number,
  ): Promise<{ items: User[]; total: number }> {
    const where = join(
      [
        sql`u.organization_id = ${organizationId}::uuid`,
        ...(filter.externalId !== undefined ? [sql`u.external_id = ${filter.externalId}`] : []),
      ],
      " AND ",
    );
    const { rows, total } = await offsetPage<UserRow>(this.db, {
      select: USER_COLUMNS,
      from: sql`users u`,
      where,
      orderBy: sql`u.created_at DESC, u.id DESC`,
      skip: 0,
      take,
    });
    return { items: rows.map(parseUser).reverse(), total };
  }

  /**
   * Users not deleted over SCIM in creation order: "forward" after `from` (at or after when
   * inclusive), "backward" in descending order before it.
   */
  async keysetPage(
    organizationId: string,
    direction: "forward" | "backward",
    from: { key: UserKey; inclusive: boolean } | null,
    take: number,
  ): Promise<User[]> {
    const forward = direction === "forward";
    const operator = raw(forward ? (from?.inclusive ? ">=" : ">") : from?.inclusive ? "<=" : "<");
    const after = from
      ? sql`AND (u.created_at, u.id) ${operator} (${from.key.createdAt}::timestamptz, ${from.key.id}::uuid)`
      : empty;
    const order = forward ? sql`u.created_at ASC, u.id ASC` : sql`u.created_at DESC, u.id DESC`;
    const rows = await this.db.rows<UserRow>(
      sql`SELECT ${USER_COLUMNS} FROM users u
        WHERE u.organization_id = ${organizationId}::uuid AND ${NOT_DELETED_OVER_SCIM} ${after}
        ORDER BY ${order} LIMIT ${take}`,
    );
    return rows.map(parseUser);
  }

  /**
   * New versions (SCIM ETags) for users whose SCIM document changed with something else (a
   * group's name or membership). Their rows are locked in id order first (no-key: memberships
   * referencing them can still be written), so writes bumping overlapping sets of users wait for
   * each other instead of deadlocking.
   */
  async bumpVersions(organizationId: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.execute(
      sql`WITH locked AS MATERIALIZED (
          SELECT id FROM users
          WHERE id = ANY(${[...ids]}::uuid[]) AND organization_id = ${organizationId}::uuid
          ORDER BY id FOR NO KEY UPDATE
        )
        UPDATE users AS u SET version = u.version + 1, updated_at = now()
        FROM locked WHERE u.id = locked.id`,
      { name: "users.bumpVersions" },
    );
  }
}
