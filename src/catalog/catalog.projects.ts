// Project folders: `@Project Hub/<project name>`, one per project, linked by catalog_items.project_id.
// ProjectService calls these inside its own (kernel) transactions, on the connection it was
// given, so a project and its folder are created, renamed and restored together
// (docs/catalog.md, "Project Hub").
import type { Sql } from "../db/sql.js";
import { MAX_NAME_LENGTH } from "./catalog.inputs.js";
import { childPath } from "./catalog.paths.js";
import { type CatalogEntry, CatalogQueries, PROJECT_HUB_SPACE } from "./catalog.store.js";

type ProjectOfFolder = { id: string; organizationId: string; name: string };

/**
 * The folder name a project name asks for: a catalog name cannot contain `/` (→ `-`) nor be `.`
 * or `..` (→ `_`, `__`). Project names are trimmed and at most 200 characters, so a suffix fits.
 */
export function projectFolderBaseName(projectName: string): string {
  const name = projectName.replaceAll("/", "-");
  return name === "." || name === ".." ? name.replaceAll(".", "_") : name;
}

/** The first free top-level name of `base`, `base (2)`, `base (3)`... (the folder `exceptId` aside). */
async function freeName(
  queries: CatalogQueries,
  organizationId: string,
  base: string,
  exceptId?: string,
): Promise<string> {
  const taken = await queries.takenProjectFolderNames(organizationId, base, exceptId);
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base} (${n})`;
    if (!taken.has(name) && [...name].length <= MAX_NAME_LENGTH) return name;
  }
}

async function createFolderFor(queries: CatalogQueries, project: ProjectOfFolder): Promise<CatalogEntry> {
  const name = await freeName(queries, project.organizationId, projectFolderBaseName(project.name));
  return queries.insert({
    organizationId: project.organizationId,
    space: PROJECT_HUB_SPACE,
    ownerId: null,
    parentId: null,
    kind: "FOLDER",
    type: "PROJECT",
    name,
    path: childPath(PROJECT_HUB_SPACE, name),
    projectId: project.id,
  });
}

/**
 * Creates a new project's folder, in the transaction that creates the project. Project names
 * need not be unique: the advisory lock serialises the naming within the organisation, so the
 * folder of the second "Apollo" becomes "Apollo (2)".
 */
export async function createProjectFolder(tx: Sql, project: ProjectOfFolder): Promise<CatalogEntry> {
  const queries = new CatalogQueries(tx);
  await queries.lockProjectHub(project.organizationId);
  return createFolderFor(queries, project);
}

/**
 * After a project's rename or restore: its folder is named after it (descendants move with it,
 * set-based), and exists (a project that predates its folder, or whose name was taken when the
 * folders were introduced, gets one now).
 */
export async function syncProjectFolder(tx: Sql, project: ProjectOfFolder): Promise<CatalogEntry> {
  const queries = new CatalogQueries(tx);
  await queries.lockProjectHub(project.organizationId);
  const folder = await queries.lockProjectFolder(project.id);
  if (!folder) return createFolderFor(queries, project);
  const base = projectFolderBaseName(project.name);
  // Already named after the project: "<name>", or "<name> (n)" when "<name>" was taken.
  if (folder.name === base || isNumbered(folder.name, base)) {
    const current = await queries.byId(folder.id);
    if (!current) throw new Error(`Project folder ${folder.id} vanished while locked`);
    return current;
  }
  const name = await freeName(queries, project.organizationId, base, folder.id);
  return queries.renameFolder({
    organizationId: project.organizationId,
    space: PROJECT_HUB_SPACE,
    id: folder.id,
    oldPath: folder.path,
    newPath: childPath(PROJECT_HUB_SPACE, name),
    name,
  });
}

function isNumbered(name: string, base: string): boolean {
  return name.startsWith(`${base} (`) && /^ \(\d+\)$/.test(name.slice(base.length));
}
