// The catalog: folders and SQL assets in three namespaces, with ETag (revision) concurrency.
// Every query is confined to the viewer's organisation and, for @Personal, to the viewer's own
// tree: a path the caller may not see is answered exactly like a missing one.
//
// Concurrency: a change names the revision it was based on (If-Match) and is applied by a
// statement that matches that revision, so of many changes carrying one ETag exactly one wins.
// A folder rename locks its subtree and rewrites every descendant's path (and revision) with one
// UPDATE; creating an item share-locks its parent, so no item is created under a path that is
// being renamed away.
//
// @Project Hub holds project folders, each linked to its project (catalog.projects.ts): a
// project folder and everything in it is visible to the project's members and to the
// organisation's owners and admins, and to nobody while the project is archived.
import DataLoader from "dataloader";
import { translateDatabaseError } from "../db/errors.js";
import { isUuid } from "../db/ids.js";
import { sqlOf } from "../db/sql.js";
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  PreconditionRequiredError,
  UnprocessableError,
  ValidationError,
} from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Scope } from "../identity/scopes.js";
import type { Viewer } from "../identity/viewer.js";
import {
  type CreateAssetInput,
  CreateAssetSchema,
  type CreateFolderInput,
  CreateFolderSchema,
  detectAssetType,
  type PageCursor,
  parseCatalogInput,
  type UpdateAssetInput,
  UpdateAssetSchema,
  type UpdateFolderInput,
  UpdateFolderSchema,
} from "./catalog.inputs.js";
import {
  type CatalogPath,
  childPath,
  isNamespace,
  NAMESPACES,
  type Namespace,
  parentPathOf,
  parsePath,
} from "./catalog.paths.js";
import {
  type CatalogEntry,
  type CatalogKind,
  type CatalogQueries,
  CatalogStore,
  type ItemKey,
  type LockedRow,
  PROJECT_HUB_SPACE,
  type ProjectVisibility,
} from "./catalog.store.js";

export type { CatalogEntry, CatalogKind } from "./catalog.store.js";

export type CatalogPage = { items: CatalogEntry[]; hasNextPage: boolean };

export const NO_PERMISSION = "You don't have permission to perform the request";
export const MAX_PAGE_SIZE = 1000;

const FOLDER: CatalogKind = "FOLDER";
const ASSET: CatalogKind = "ASSET";
const ROOT_TYPES: Record<Namespace, string> = {
  "@Personal": "USER_HOME",
  "@Shared": "REGULAR_FOLDER",
  "@Project Hub": "REGULAR_FOLDER",
};
export const PROJECT_HUB: Namespace = PROJECT_HUB_SPACE;

export type Expected = { any: true } | { any: false; revisions: number[] };

export function etagOf(revision: number): string {
  return `"${revision}"`;
}

/**
 * If-Match (RFC 9110 §13.1.1): `*` or a list of entity tags, compared strongly, so a weak tag
 * (W/"3") never matches. Absent or blank → 428.
 */
export function parseIfMatch(header: string | null | undefined): Expected {
  const value = header?.trim();
  if (!value) throw new PreconditionRequiredError();
  if (value === "*") return { any: true };
  const revisions = value
    .split(",")
    .map((tag) => /^"(\d{1,9})"$/.exec(tag.trim())?.[1])
    .filter((revision): revision is string => revision !== undefined)
    .map(Number);
  return { any: false, revisions };
}

export class CatalogService {
  private readonly store: CatalogStore;
  private readonly byId = new DataLoader<string, CatalogEntry | null>((ids) => this.loadByIds(ids));
  private readonly projectFolders = new DataLoader<string, CatalogEntry | null>((ids) =>
    this.loadProjectFolders(ids),
  );
  private readonly contents = new DataLoader<string, string | null>((ids) => this.loadContents(ids));
  private organizationCreatedAt: Promise<Date> | undefined;

  constructor(
    prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    this.store = new CatalogStore(sqlOf(prisma));
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The item at a path, content included; 404 when missing or not visible. */
  async getByPath(rawPath: string): Promise<CatalogEntry> {
    const entry = await this.findByPath(rawPath);
    if (!entry) throw notFound(rawPath);
    return entry;
  }

  async findByPath(rawPath: string): Promise<CatalogEntry | null> {
    this.require("catalog:read");
    const location = parsePath(rawPath);
    if (!location) return null;
    if (location.names.length === 0) return this.root(location.namespace);
    if (await this.hidden(location)) return null;
    return this.store.byKey(this.key(location));
  }

  /** By id (a uuid, or a namespace for its root): null when missing or not visible. */
  async findById(id: string): Promise<CatalogEntry | null> {
    this.require("catalog:read");
    return this.byId.load(id);
  }

  async roots(): Promise<CatalogEntry[]> {
    this.require("catalog:read");
    return Promise.all(NAMESPACES.map((namespace) => this.root(namespace)));
  }

  /** The folder an item is in: its namespace root for top-level items, null for roots. */
  async parentOf(entry: CatalogEntry): Promise<CatalogEntry | null> {
    if (entry.root) return null;
    if (entry.parentId === null) return this.root(entry.namespace);
    return this.byId.load(entry.parentId);
  }

  async contentOf(entry: CatalogEntry): Promise<string | null> {
    if (entry.content !== undefined) return entry.content;
    return entry.kind === ASSET && !entry.root ? this.contents.load(entry.id) : null;
  }

  /** A page of a folder's direct children at a path: folders first, then by name. */
  async list(rawPath: string, page: { first: number; after?: PageCursor | null }): Promise<CatalogPage> {
    this.require("catalog:read");
    const location = parsePath(rawPath);
    if (!location) throw notFound(rawPath);
    if (location.names.length === 0) return this.children(this.rootStub(location.namespace), page);
    if (await this.hidden(location)) throw notFound(location.path);
    const row = await this.store.revisionAt(this.key(location));
    if (!row) throw notFound(location.path);
    if (row.kind !== FOLDER) throw new ValidationError(`Not a folder: ${location.path}`);
    return this.children({ id: row.id, root: false, namespace: location.namespace }, page);
  }

  /**
   * Keyset pagination over the (organisation, space, parent, kind desc, name) index: each page
   * is at most two index range scans, however deep into a large folder it starts.
   */
  async children(
    folder: Pick<CatalogEntry, "id" | "root" | "namespace">,
    page: { first: number; after?: PageCursor | null },
  ): Promise<CatalogPage> {
    this.require("catalog:read");
    const limit = Math.min(Math.max(page.first, 0), MAX_PAGE_SIZE);
    const base = {
      organizationId: this.viewer.organization.id,
      space: this.spaceOf(folder.namespace),
      parentId: folder.root ? null : folder.id,
      // The project folders the caller may see: the root of @Project Hub lists only those.
      ...(folder.root && folder.namespace === PROJECT_HUB ? { visibility: this.visibility() } : {}),
    };
    const fetch = (kind: CatalogKind, afterName: string | undefined, take: number) =>
      take <= 0 ? Promise.resolve([]) : this.store.children({ ...base, kind, afterName, take });
    const after = page.after;
    const rows =
      after?.kind === ASSET
        ? []
        : await fetch(FOLDER, after?.kind === FOLDER ? after.name : undefined, limit + 1);
    if (rows.length <= limit) {
      rows.push(
        ...(await fetch(ASSET, after?.kind === ASSET ? after.name : undefined, limit + 1 - rows.length)),
      );
    }
    return { items: rows.slice(0, limit), hasNextPage: rows.length > limit };
  }

  // ---- changes -----------------------------------------------------------------------------

  async createFolder(input: CreateFolderInput): Promise<CatalogEntry> {
    this.require("catalog:write");
    const data = parseCatalogInput(CreateFolderSchema, input);
    return this.create(data.parentPath, {
      kind: FOLDER,
      type: data.folderType === "PROJECT" ? "PROJECT" : "REGULAR_FOLDER",
      name: data.name,
    });
  }

  async createAsset(input: CreateAssetInput): Promise<CatalogEntry> {
    this.require("catalog:write");
    const data = parseCatalogInput(CreateAssetSchema, input);
    return this.create(data.parentPath, {
      kind: ASSET,
      type: detectAssetType(data.content),
      name: data.name,
      content: data.content,
      description: data.description ?? null,
    });
  }

  /** Renames a folder; every descendant's path follows in the same transaction. */
  async updateFolder(rawPath: string, ifMatch: string | null | undefined, input: UpdateFolderInput) {
    const expected = this.precondition(ifMatch);
    const data = parseCatalogInput(UpdateFolderSchema, input);
    const location = this.changeable(rawPath, FOLDER);
    if (await this.hidden(location)) throw notFound(location.path);
    const newPath =
      data.name === undefined ? location.path : childPath(parentPathOf(location.path), data.name);
    return this.transaction(async (tx) => {
      const row = await tx.lock(this.key(location), "FOR UPDATE");
      this.check(row, location.path, FOLDER, expected);
      if (newPath === location.path) {
        const current = await tx.byId(row.id);
        if (!current) throw notFound(location.path);
        return current;
      }
      if (row.projectId !== null) {
        throw new ValidationError("Project folders are renamed with their project", [], { field: "name" });
      }
      return tx.renameFolder({
        organizationId: this.viewer.organization.id,
        space: this.spaceOf(location.namespace),
        id: row.id,
        oldPath: location.path,
        newPath,
        name: newPath.slice(newPath.lastIndexOf("/") + 1),
      });
    });
  }

  /** Renames an asset and/or replaces its content, in one conditional statement. */
  async updateAsset(rawPath: string, ifMatch: string | null | undefined, input: UpdateAssetInput) {
    const expected = this.precondition(ifMatch);
    const data = parseCatalogInput(UpdateAssetSchema, input);
    const location = this.changeable(rawPath, ASSET);
    if (await this.hidden(location)) throw notFound(location.path);
    const newPath =
      data.name === undefined ? location.path : childPath(parentPathOf(location.path), data.name);
    const key = this.key(location);
    const updated = await this.guard(() =>
      this.store.updateAsset(key, expected.any ? undefined : expected.revisions, {
        ...(data.name !== undefined ? { rename: { name: data.name, path: newPath } } : {}),
        ...(data.content !== undefined
          ? { content: { content: data.content, type: detectAssetType(data.content) } }
          : {}),
        ...(data.description !== undefined ? { description: data.description } : {}),
      }),
    );
    if (updated) return updated;
    this.check(await this.store.revisionAt(key), location.path, ASSET, expected);
    throw new ConflictError("The asset changed while it was being updated; retry the request");
  }

  /** Deletes an asset, or an empty folder; `kind` restricts which (REST has one route each). */
  async deleteItem(
    rawPath: string,
    ifMatch: string | null | undefined,
    kind?: CatalogKind,
  ): Promise<CatalogEntry> {
    const expected = this.precondition(ifMatch);
    const location = this.changeable(rawPath, kind ?? FOLDER);
    if (await this.hidden(location)) throw notFound(location.path);
    return this.transaction(async (tx) => {
      const row = await tx.lock(this.key(location), "FOR UPDATE");
      this.check(row, location.path, kind ?? (row?.kind as CatalogKind), expected);
      if (row.projectId !== null)
        throw new ValidationError("Project folders are archived with their project");
      if (row.kind === FOLDER && (await tx.hasChild(row.id)))
        throw new ValidationError("Folder is not empty");
      const deleted = await tx.delete(row.id);
      if (!deleted) throw notFound(location.path);
      return deleted;
    });
  }

  /**
   * The checks every change makes before it reads its input: the write scope (403), then a
   * condition (428). REST runs them before the body is validated, so both transports agree.
   */
  precondition(ifMatch: string | null | undefined): Expected {
    this.require("catalog:write");
    return parseIfMatch(ifMatch);
  }

  // ---- internals ---------------------------------------------------------------------------

  private async create(
    parentRawPath: string,
    item: { kind: CatalogKind; type: string; name: string; content?: string; description?: string | null },
  ): Promise<CatalogEntry> {
    const parent = parsePath(parentRawPath);
    if (!parent) throw notFound(parentRawPath);
    const namespace = parent.namespace;
    if (namespace === PROJECT_HUB && parent.names.length === 0) {
      throw new ValidationError("Project folders are created with their project", [], {
        field: "parent_path",
      });
    }
    if (await this.hidden(parent)) throw notFound(parent.path);
    return this.transaction(async (tx) => {
      let parentId: string | null = null;
      if (parent.names.length > 0) {
        const row = await tx.lock(this.key(parent), "FOR SHARE");
        if (!row) throw notFound(parent.path);
        if (row.kind !== FOLDER)
          throw new UnprocessableError("Parent path must be a folder", [], "not_a_folder");
        parentId = row.id;
      }
      return tx.insert({
        organizationId: this.viewer.organization.id,
        space: this.spaceOf(namespace),
        ownerId: namespace === "@Personal" ? this.viewer.user.id : null,
        parentId,
        kind: item.kind,
        type: item.type,
        name: item.name,
        path: childPath(parent.path, item.name),
        content: item.content ?? null,
        description: item.description ?? null,
      });
    });
  }

  /** Parses the path of a change; namespace roots exist but cannot be changed. */
  private changeable(rawPath: string, kind: CatalogKind): CatalogPath {
    const location = parsePath(rawPath);
    if (!location) throw notFound(rawPath);
    if (location.names.length === 0) {
      if (kind === ASSET) throw new UnprocessableError("Path must be an asset", [], "not_an_asset");
      throw new ForbiddenError(NO_PERMISSION, { reason: "namespace roots cannot be changed" });
    }
    return location;
  }

  /** 404, then 422 (wrong kind), then 412 (stale ETag), in the seed's order of precedence. */
  private check(
    row: Pick<LockedRow, "kind" | "revision"> | null,
    path: string,
    kind: CatalogKind,
    expected: Expected,
  ): asserts row is LockedRow {
    if (!row) throw notFound(path);
    if (row.kind !== kind) {
      throw kind === FOLDER
        ? new UnprocessableError("Path must be a folder", [], "not_a_folder")
        : new UnprocessableError("Path must be an asset", [], "not_an_asset");
    }
    if (!expected.any && !expected.revisions.includes(row.revision)) {
      throw new PreconditionFailedError(
        `Entity has been modified. Refresh and retry with current ETag: ${etagOf(row.revision)}`,
        { currentEtag: etagOf(row.revision) },
      );
    }
  }

  /**
   * One transaction of the catalog's. Deadlocks and serialisation failures are retried by the
   * kernel; one that persists is a 409 (guard).
   */
  private transaction<T>(work: (tx: CatalogQueries) => Promise<T>): Promise<T> {
    return this.guard(() => this.store.transaction(work));
  }

  /** Database constraint failures in the catalog's terms. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      return translateDatabaseError(error, {
        unique: () => new ValidationError("Name already exists.", [], { field: "name" }),
        foreignKey: () => new ValidationError("Folder is not empty"),
        conflict: () => new ConflictError("The request conflicts with another request; retry it"),
      });
    }
  }

  private require(scope: Scope): void {
    if (!this.viewer.can(scope)) throw new ForbiddenError(NO_PERMISSION, { requiredScope: scope });
  }

  /** @Personal is one tree per user: its space is the user's id. */
  private spaceOf(namespace: Namespace): string {
    return namespace === "@Personal" ? this.viewer.user.id : namespace;
  }

  private key(location: CatalogPath): ItemKey {
    return {
      organizationId: this.viewer.organization.id,
      space: this.spaceOf(location.namespace),
      path: location.path,
    };
  }

  private rootStub(namespace: Namespace): Pick<CatalogEntry, "id" | "root" | "namespace"> {
    return { id: namespace, root: true, namespace };
  }

  private async root(namespace: Namespace): Promise<CatalogEntry> {
    this.organizationCreatedAt ??= this.store.organizationCreatedAt(this.viewer.organization.id);
    const createdAt = await this.organizationCreatedAt;
    return {
      id: namespace,
      root: true,
      kind: FOLDER,
      type: ROOT_TYPES[namespace],
      name: namespace,
      path: namespace,
      namespace,
      parentId: null,
      projectId: null,
      description: null,
      content: null,
      revision: null,
      createdAt,
      updatedAt: createdAt,
    };
  }

  private async loadByIds(ids: readonly string[]): Promise<Array<CatalogEntry | null>> {
    const rows = await this.store.byIds(this.viewer.organization.id, ids.filter(isUuid), [
      "@Shared",
      "@Project Hub",
      this.viewer.user.id,
    ]);
    const hidden = await this.hiddenTops(
      rows.filter((row) => row.namespace === PROJECT_HUB).map((row) => row.path),
    );
    const found = new Map(rows.filter((row) => !hidden.has(topPathOf(row.path))).map((row) => [row.id, row]));
    return Promise.all(ids.map((id) => (isNamespace(id) ? this.root(id) : (found.get(id) ?? null))));
  }

  // ---- @Project Hub -----------------------------------------------------------------------

  /**
   * The id of a project folder's project (GraphQL CatalogFolder.project, which loads it through
   * the Project node's loader); needs projects:read.
   */
  projectIdOf(entry: CatalogEntry): string | null {
    if (entry.projectId === null) return null;
    this.viewer.require("projects:read");
    return entry.projectId;
  }

  /** A project's folder, when the caller may see it (GraphQL Project.catalogFolder). */
  async folderOfProject(projectId: string): Promise<CatalogEntry | null> {
    this.require("catalog:read");
    return this.projectFolders.load(projectId);
  }

  /**
   * Which top-level rows of @Project Hub the caller may see: folders of active projects the
   * caller is a member of (all active ones for the organisation's owners and admins), and
   * unlinked folders (made before projects existed).
   */
  private visibility(): ProjectVisibility {
    const role = this.viewer.user.role;
    return { userId: this.viewer.user.id, all: role === "owner" || role === "admin" };
  }

  /** Whether a path lies in a project folder the caller may not see (answered as missing). */
  private async hidden(location: CatalogPath): Promise<boolean> {
    if (location.namespace !== PROJECT_HUB || location.names.length === 0) return false;
    return (await this.hiddenTops([location.path])).size > 0;
  }

  /** The top-level @Project Hub paths, among those of `paths`, that the caller may not see. */
  private hiddenTops(paths: string[]): Promise<Set<string>> {
    const tops = [...new Set(paths.map(topPathOf))];
    return this.store.hiddenTops(this.viewer.organization.id, tops, this.visibility());
  }

  private async loadProjectFolders(projectIds: readonly string[]): Promise<Array<CatalogEntry | null>> {
    const rows = await this.store.projectFolders(
      this.viewer.organization.id,
      projectIds.filter(isUuid),
      this.visibility(),
    );
    const found = new Map(rows.map((row) => [row.projectId, row]));
    return projectIds.map((id) => found.get(id) ?? null);
  }

  private async loadContents(ids: readonly string[]): Promise<Array<string | null>> {
    const found = await this.store.contents(this.viewer.organization.id, ids.filter(isUuid));
    return ids.map((id) => found.get(id) ?? null);
  }
}

function notFound(path: string): NotFoundError {
  return new NotFoundError(`Path not found: ${path}`);
}

/** "@Project Hub/<name>" of any path below it. */
function topPathOf(path: string): string {
  const [namespace, name] = path.split("/");
  return `${namespace}/${name}`;
}
