// The organisation's users. Every read and write is confined to the viewer's organisation.

import { isUniqueViolation } from "../db/errors.js";
import { isUuid } from "../db/ids.js";
import { sqlOf } from "../db/sql.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import {
  type CursorPageQuery,
  type CursorPageResult,
  type FetchRows,
  type KeyCodec,
  paginate,
} from "../rest/cursor-pagination.js";
import { parseInput } from "../validation.js";
import { CreateUserInput, type Role, RoleSchema, UpdateUserInput } from "./identity.inputs.js";
import { type Organization, OrganizationStore } from "./organizations.store.js";
import { type User, type UserKey, UserStore } from "./users.store.js";
import type { Viewer } from "./viewer.js";

export type { User } from "./users.store.js";
export type Page<T> = { items: T[]; total: number; page: number; pageSize: number };
export type UserFilter = { externalId?: string };

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
  private readonly users: UserStore;
  private readonly organizations: OrganizationStore;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    const db = sqlOf(prisma);
    this.users = new UserStore(db);
    this.organizations = new OrganizationStore(db);
  }

  private get organizationId(): string {
    return this.viewer.organization.id;
  }

  async create(input: CreateUserInput): Promise<User> {
    this.viewer.require("org:admin");
    const data = parseInput(CreateUserInput, input);
    const email = data.email.toLowerCase();
    const existing = await this.users.byEmail(this.organizationId, email);
    if (existing) throw new ConflictError(`A user with e-mail ${email} already exists`, { field: "email" });
    try {
      return await this.users.insert(this.organizationId, {
        email,
        displayName: data.displayName,
        role: data.role,
        externalId: data.externalId,
      });
    } catch (error) {
      // Concurrent creates with one e-mail, or an external id already taken.
      if (isUniqueViolation(error))
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
    const user = isUuid(id) ? await this.users.byId(this.organizationId, id) : undefined;
    if (!user) throw new NotFoundError(`User ${id} not found`);
    return user;
  }

  /**
   * The organisation's users among `ids`, in no particular order; ids of nothing are left out
   * (User nodes and every field naming a user: createdBy, members, token owners, one statement
   * per request). No scope: a user is visible wherever a row names it.
   */
  async byIds(ids: readonly string[]): Promise<User[]> {
    return this.users.byIds(this.organizationId, [...new Set(ids.filter(isUuid))]);
  }

  /**
   * The viewer's organisation when `ids` name it; no other is ever visible (Organization nodes,
   * Viewer.organization).
   */
  async organizationsByIds(ids: readonly string[]): Promise<Organization[]> {
    const own = this.organizationId;
    if (!ids.some((id) => id.toLowerCase() === own)) return [];
    const organization = await this.organizations.byId(own);
    return organization ? [organization] : [];
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
    const fetch: FetchRows<User, UserKey> = (direction, from, take) =>
      this.users.keysetPage(this.organizationId, direction, from, take);
    return paginate(query, userKeys, (user) => ({ createdAt: user.createdAt, id: user.id }), fetch);
  }

  /** Users in creation order from `skip`, with the total matching `filter` (GraphQL's connection). */
  async slice(filter: UserFilter, skip: number, take: number): Promise<{ items: User[]; total: number }> {
    this.viewer.require("users:read");
    return this.users.page(this.organizationId, { externalId: filter.externalId }, skip, take);
  }

  /** The last `take` users in creation order matching `filter`, with their total (GraphQL's `last`). */
  async tail(filter: UserFilter, take: number): Promise<{ items: User[]; total: number }> {
    this.viewer.require("users:read");
    return this.users.pageFromEnd(this.organizationId, { externalId: filter.externalId }, take);
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
      const owners = await this.users.countActiveOwners(this.organizationId);
      if (owners <= 1) throw new ConflictError("The organisation's last owner cannot lose the owner role");
    }
    try {
      const updated = await this.users.update(this.organizationId, user.id, {
        role: patch.role,
        externalId: patch.externalId,
      });
      if (!updated) throw new NotFoundError(`User ${id} not found`);
      return updated;
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`Another user already has external_id ${patch.externalId}`, {
          field: "external_id",
        });
      throw error;
    }
  }
}
