// All of the catalog's SQL: catalog_items (one column list, rows parsed by toEntry), and what it
// reads of projects and project_members (which project folders a caller may see) and
// organizations (the roots' timestamps). The same queries run on the
// pool or inside a transaction (CatalogQueries over either); CatalogStore opens transactions.
// Statements of fixed text are named (prepared once per connection); the asset update, whose
// SET list depends on the request, is not.
import { randomUUID } from "node:crypto";
import { empty, join, type Prisma, type Sql, type SqlPool, sql } from "../db/sql.js";
import { escapeLike, type Namespace } from "./catalog.paths.js";

export type CatalogKind = "FOLDER" | "ASSET";

/** A catalog item as both transports see it; namespace roots are virtual folders (root: true). */
export type CatalogEntry = {
  /** The row id, or the namespace for a root. */
  id: string;
  root: boolean;
  kind: CatalogKind;
  type: string;
  name: string;
  path: string;
  namespace: Namespace;
  parentId: string | null;
  /** The project of a project folder (directly under @Project Hub); null otherwise. */
  projectId: string | null;
  description: string | null;
  /** Absent when the item was loaded without its content (listings). */
  content?: string | null;
  /** null for namespace roots, which cannot be changed and so have no ETag. */
  revision: number | null;
  createdAt: Date;
  updatedAt: Date;
};

/** An item's unique key: (organisation, space, path); @Personal's space is its user's id. */
export type ItemKey = { organizationId: string; space: string; path: string };

export type LockedRow = { id: string; kind: string; revision: number; projectId: string | null };

/**
 * Which project folders (top-level rows of @Project Hub) a caller may see: those of active
 * projects, of which the caller is a member unless `all`, and unlinked ones.
 */
export type ProjectVisibility = { userId: string; all: boolean };

export type NewItem = {
  organizationId: string;
  space: string;
  ownerId: string | null;
  parentId: string | null;
  kind: CatalogKind;
  type: string;
  name: string;
  path: string;
  content?: string | null;
  description?: string | null;
  projectId?: string | null;
};

export type AssetPatch = {
  rename?: { name: string; path: string };
  content?: { content: string; type: string };
  description?: string;
};

type ItemRow = {
  id: string;
  space: string;
  parent_id: string | null;
  kind: string;
  type: string;
  name: string;
  path: string;
  description: string | null;
  revision: number;
  created_at: Date;
  updated_at: Date;
  project_id: string | null;
  content?: string | null;
};

export const PROJECT_HUB_SPACE = "@Project Hub";

const ITEM_COLUMNS = sql`id, space, parent_id, kind, type, name, path, description, revision, created_at, updated_at, project_id`;
const ITEM_COLUMNS_WITH_CONTENT = sql`${ITEM_COLUMNS}, content`;

function namespaceOfSpace(space: string): Namespace {
  return space === "@Shared" || space === "@Project Hub" ? space : "@Personal";
}

function toEntry(row: ItemRow): CatalogEntry {
  return {
    id: row.id,
    root: false,
    kind: row.kind as CatalogKind,
    type: row.type,
    name: row.name,
    path: row.path,
    namespace: namespaceOfSpace(row.space),
    parentId: row.parent_id,
    projectId: row.project_id,
    description: row.description,
    ...("content" in row ? { content: row.content ?? null } : {}),
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The condition a visible top-level @Project Hub row meets (on `catalog_items`). */
function visibleProjectFolder(visibility: ProjectVisibility): Prisma.Sql {
  const membership = visibility.all
    ? empty
    : sql`AND EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = ${visibility.userId}::uuid)`;
  return sql`(catalog_items.project_id IS NULL OR EXISTS (
    SELECT 1 FROM projects p WHERE p.id = catalog_items.project_id AND p.status = 'active' ${membership}))`;
}

/** The catalog's statements, on the pool or on one transaction's connection. */
export class CatalogQueries {
  constructor(protected readonly db: Sql) {}

  // ---- reads -------------------------------------------------------------------------------

  async byKey(key: ItemKey): Promise<CatalogEntry | null> {
    const row = await this.db.maybeOne<ItemRow>(
      sql`SELECT ${ITEM_COLUMNS_WITH_CONTENT} FROM catalog_items
          WHERE organization_id = ${key.organizationId}::uuid AND space = ${key.space}::text AND path = ${key.path}::text`,
      { name: "catalog.byKey" },
    );
    return row ? toEntry(row) : null;
  }

  /** What a change needs to tell 404, 422 and 412 apart, without locking. */
  async revisionAt(key: ItemKey): Promise<LockedRow | null> {
    const row = await this.db.maybeOne<LockedRow>(
      sql`SELECT id, kind, revision, project_id AS "projectId" FROM catalog_items
          WHERE organization_id = ${key.organizationId}::uuid AND space = ${key.space}::text AND path = ${key.path}::text`,
      { name: "catalog.revisionAt" },
    );
    return row ?? null;
  }

  async byId(id: string): Promise<CatalogEntry | null> {
    const row = await this.db.maybeOne<ItemRow>(
      sql`SELECT ${ITEM_COLUMNS_WITH_CONTENT} FROM catalog_items WHERE id = ${id}::uuid`,
      { name: "catalog.byId" },
    );
    return row ? toEntry(row) : null;
  }

  /** Items by id within the organisation and the given spaces, without their content. */
  async byIds(organizationId: string, ids: string[], spaces: string[]): Promise<CatalogEntry[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.rows<ItemRow>(
      sql`SELECT ${ITEM_COLUMNS} FROM catalog_items
          WHERE id = ANY(${ids}::uuid[]) AND organization_id = ${organizationId}::uuid AND space = ANY(${spaces}::text[])`,
      { name: "catalog.byIds" },
    );
    return rows.map(toEntry);
  }

  /**
   * One kind of a folder's children after `afterName`, by name, without their content: a range
   * scan of the (organisation, space, parent, kind desc, name) index.
   */
  async children(folder: {
    organizationId: string;
    space: string;
    parentId: string | null;
    kind: CatalogKind;
    afterName: string | undefined;
    take: number;
    visibility?: ProjectVisibility;
  }): Promise<CatalogEntry[]> {
    const parent =
      folder.parentId === null ? sql`parent_id IS NULL` : sql`parent_id = ${folder.parentId}::uuid`;
    const after = folder.afterName === undefined ? empty : sql`AND name > ${folder.afterName}::text`;
    const visible = folder.visibility ? sql`AND ${visibleProjectFolder(folder.visibility)}` : empty;
    const rows = await this.db.rows<ItemRow>(
      sql`SELECT ${ITEM_COLUMNS} FROM catalog_items
          WHERE organization_id = ${folder.organizationId}::uuid AND space = ${folder.space}::text AND ${parent}
            AND kind = ${folder.kind}::text ${after} ${visible}
          ORDER BY name ASC LIMIT ${folder.take}::int`,
      { name: "catalog.children" },
    );
    return rows.map(toEntry);
  }

  /** The top-level @Project Hub paths, among `tops`, that the caller may not see. */
  async hiddenTops(
    organizationId: string,
    tops: string[],
    visibility: ProjectVisibility,
  ): Promise<Set<string>> {
    if (tops.length === 0) return new Set();
    const rows = await this.db.rows<{ path: string }>(
      sql`SELECT path FROM catalog_items
          WHERE organization_id = ${organizationId}::uuid AND space = ${PROJECT_HUB_SPACE}::text
            AND path = ANY(${tops}::text[]) AND NOT ${visibleProjectFolder(visibility)}`,
      { name: "catalog.hiddenTops" },
    );
    return new Set(rows.map((row) => row.path));
  }

  /** The folders of projects, among those the caller may see, without their content. */
  async projectFolders(
    organizationId: string,
    projectIds: string[],
    visibility: ProjectVisibility,
  ): Promise<CatalogEntry[]> {
    if (projectIds.length === 0) return [];
    const rows = await this.db.rows<ItemRow>(
      sql`SELECT ${ITEM_COLUMNS} FROM catalog_items
          WHERE project_id = ANY(${projectIds}::uuid[]) AND organization_id = ${organizationId}::uuid
            AND space = ${PROJECT_HUB_SPACE}::text AND ${visibleProjectFolder(visibility)}`,
      { name: "catalog.projectFolders" },
    );
    return rows.map(toEntry);
  }

  async contents(organizationId: string, ids: string[]): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.rows<{ id: string; content: string | null }>(
      sql`SELECT id, content FROM catalog_items
          WHERE id = ANY(${ids}::uuid[]) AND organization_id = ${organizationId}::uuid`,
      { name: "catalog.contents" },
    );
    return new Map(rows.map((row) => [row.id, row.content]));
  }

  /** The namespace roots' timestamps: the organisation's creation. */
  async organizationCreatedAt(organizationId: string): Promise<Date> {
    const row = await this.db.maybeOne<{ created_at: Date }>(
      sql`SELECT created_at FROM organizations WHERE id = ${organizationId}::uuid`,
      { name: "catalog.organizationCreatedAt" },
    );
    if (!row) throw new Error(`Organization ${organizationId} not found`);
    return row.created_at;
  }

  // ---- changes -----------------------------------------------------------------------------

  /**
   * Renames an asset and/or replaces its content when its revision is one of `revisions` (any
   * revision when undefined): one conditional statement, so of concurrent changes carrying one
   * ETag exactly one matches. Null when nothing matched.
   */
  async updateAsset(
    key: ItemKey,
    revisions: number[] | undefined,
    patch: AssetPatch,
  ): Promise<CatalogEntry | null> {
    const set: Prisma.Sql[] = [];
    if (patch.rename)
      set.push(sql`name = ${patch.rename.name}::text`, sql`path = ${patch.rename.path}::text`);
    if (patch.content) {
      set.push(sql`content = ${patch.content.content}::text`, sql`type = ${patch.content.type}::text`);
    }
    if (patch.description !== undefined) set.push(sql`description = ${patch.description}::text`);
    set.push(sql`revision = revision + 1`, sql`updated_at = now()`);
    const condition = revisions === undefined ? empty : sql`AND revision = ANY(${revisions}::int[])`;
    const row = await this.db.maybeOne<ItemRow>(
      sql`UPDATE catalog_items SET ${join(set, ", ")}
          WHERE organization_id = ${key.organizationId}::uuid AND space = ${key.space}::text AND path = ${key.path}::text
            AND kind = 'ASSET' ${condition}
          RETURNING ${ITEM_COLUMNS_WITH_CONTENT}`,
    );
    return row ? toEntry(row) : null;
  }

  /** Locks the item at `key` (FOR UPDATE to change it, FOR SHARE to create below it). */
  async lock(key: ItemKey, mode: "FOR UPDATE" | "FOR SHARE"): Promise<LockedRow | null> {
    const where = sql`WHERE organization_id = ${key.organizationId}::uuid AND space = ${key.space}::text AND path = ${key.path}::text`;
    const row =
      mode === "FOR UPDATE"
        ? await this.db.maybeOne<LockedRow>(
            sql`SELECT id, kind, revision, project_id AS "projectId" FROM catalog_items ${where} FOR UPDATE`,
            { name: "catalog.lockForUpdate" },
          )
        : await this.db.maybeOne<LockedRow>(
            sql`SELECT id, kind, revision, project_id AS "projectId" FROM catalog_items ${where} FOR SHARE`,
            { name: "catalog.lockForShare" },
          );
    return row ?? null;
  }

  async insert(item: NewItem): Promise<CatalogEntry> {
    const row = await this.db.maybeOne<ItemRow>(
      sql`INSERT INTO catalog_items
            (id, organization_id, space, owner_id, parent_id, kind, type, name, path, content, description, project_id)
          VALUES (${randomUUID()}::uuid, ${item.organizationId}::uuid, ${item.space}::text, ${item.ownerId}::uuid,
            ${item.parentId}::uuid, ${item.kind}::text, ${item.type}::text, ${item.name}::text, ${item.path}::text,
            ${item.content ?? null}::text, ${item.description ?? null}::text, ${item.projectId ?? null}::uuid)
          RETURNING ${ITEM_COLUMNS_WITH_CONTENT}`,
      { name: "catalog.insert" },
    );
    return toEntry(row as ItemRow);
  }

  /**
   * Renames a folder and moves its subtree, in the caller's transaction (the folder row is
   * locked by the caller): lock the subtree in path order, update the folder, then rewrite every
   * descendant's path (and revision) with one statement.
   */
  async renameFolder(folder: {
    organizationId: string;
    space: string;
    id: string;
    oldPath: string;
    newPath: string;
    name: string;
  }): Promise<CatalogEntry> {
    const { organizationId, space, oldPath, newPath } = folder;
    const subtree = `${escapeLike(oldPath)}/%`;
    // Lock the subtree first, in path order: a child being created meanwhile (its parent is
    // share-locked) commits before the UPDATE below takes its snapshot, and so moves too.
    await this.db.rows(
      sql`SELECT count(*) FROM (
            SELECT 1 FROM catalog_items
            WHERE organization_id = ${organizationId}::uuid AND space = ${space}::text AND path LIKE ${subtree}::text
            ORDER BY path FOR UPDATE
          ) AS locked`,
      { name: "catalog.lockSubtree" },
    );
    // now() is the transaction's time: the folder and its descendants get the same updated_at.
    const updated = await this.db.maybeOne<ItemRow>(
      sql`UPDATE catalog_items
          SET name = ${folder.name}::text, path = ${newPath}::text, revision = revision + 1, updated_at = now()
          WHERE id = ${folder.id}::uuid
          RETURNING ${ITEM_COLUMNS_WITH_CONTENT}`,
      { name: "catalog.renameFolder" },
    );
    await this.db.execute(
      sql`UPDATE catalog_items
          SET path = ${newPath}::text || substr(path, char_length(${oldPath}::text) + 1),
              revision = revision + 1,
              updated_at = now()
          WHERE organization_id = ${organizationId}::uuid AND space = ${space}::text AND path LIKE ${subtree}::text`,
      { name: "catalog.moveSubtree" },
    );
    if (!updated) throw new Error(`Catalog folder ${folder.id} vanished while locked`);
    return toEntry(updated);
  }

  async hasChild(folderId: string): Promise<boolean> {
    const row = await this.db.maybeOne(
      sql`SELECT 1 AS found FROM catalog_items WHERE parent_id = ${folderId}::uuid LIMIT 1`,
      { name: "catalog.hasChild" },
    );
    return row !== undefined;
  }

  async delete(id: string): Promise<CatalogEntry | null> {
    const row = await this.db.maybeOne<ItemRow>(
      sql`DELETE FROM catalog_items WHERE id = ${id}::uuid RETURNING ${ITEM_COLUMNS}`,
      { name: "catalog.delete" },
    );
    return row ? toEntry(row) : null;
  }

  // ---- @Project Hub ------------------------------------------------------------------------

  /** Serialises the naming of project folders within an organisation (until commit). */
  async lockProjectHub(organizationId: string): Promise<void> {
    await this.db.rows(
      sql`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext(${`project-hub:${organizationId}`}::text))`,
      { name: "catalog.lockProjectHub" },
    );
  }

  /** The top-level @Project Hub names taken among `base` and `base (…`, the folder `exceptId` aside. */
  async takenProjectFolderNames(
    organizationId: string,
    base: string,
    exceptId?: string,
  ): Promise<Set<string>> {
    const except = exceptId ? sql`AND id <> ${exceptId}::uuid` : empty;
    const rows = await this.db.rows<{ name: string }>(
      sql`SELECT name FROM catalog_items
          WHERE organization_id = ${organizationId}::uuid AND space = ${PROJECT_HUB_SPACE}::text AND parent_id IS NULL
            AND (name = ${base}::text OR name LIKE ${`${escapeLike(base)} (%`}::text) ${except}`,
      { name: "catalog.takenProjectFolderNames" },
    );
    return new Set(rows.map((row) => row.name));
  }

  /** A project's folder, locked for a rename. */
  async lockProjectFolder(projectId: string): Promise<{ id: string; name: string; path: string } | null> {
    const row = await this.db.maybeOne<{ id: string; name: string; path: string }>(
      sql`SELECT id, name, path FROM catalog_items WHERE project_id = ${projectId}::uuid FOR UPDATE`,
      { name: "catalog.lockProjectFolder" },
    );
    return row ?? null;
  }
}

export class CatalogStore extends CatalogQueries {
  constructor(private readonly pool: SqlPool) {
    super(pool);
  }

  /**
   * Runs `work` in one transaction; a deadlock or serialisation failure runs it again (the
   * kernel's retries), so only a conflict that persists reaches the caller.
   */
  transaction<T>(work: (tx: CatalogQueries) => Promise<T>): Promise<T> {
    return this.pool.transaction((tx) => work(new CatalogQueries(tx)));
  }
}
