// Project folders: `@Project Hub/<project name>`, one per project, linked by catalog_items.project_id.
// ProjectService calls these inside its own transactions, so a project and its folder are
// created, renamed and restored together (docs/catalog.md, "Project Hub").
import type { CatalogItem, Prisma, Project } from "../generated/prisma/client.js";
import { MAX_NAME_LENGTH } from "./catalog.inputs.js";
import { childPath } from "./catalog.paths.js";
import { PROJECT_HUB, renameFolderIn } from "./catalog.service.js";

/**
 * The folder name a project name asks for: a catalog name cannot contain `/` (→ `-`) nor be `.`
 * or `..` (→ `_`, `__`). Project names are trimmed and at most 200 characters, so a suffix fits.
 */
export function projectFolderBaseName(projectName: string): string {
  const name = projectName.replaceAll("/", "-");
  return name === "." || name === ".." ? name.replaceAll(".", "_") : name;
}

/**
 * Serialises the naming of project folders within an organisation: project names need not be
 * unique, and the folder of the second "Apollo" becomes "Apollo (2)".
 */
async function lockProjectHub(tx: Prisma.TransactionClient, organizationId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`project-hub:${organizationId}`}::text))`;
}

/** The first free top-level name of `base`, `base (2)`, `base (3)`... (the folder `exceptId` aside). */
async function freeName(
  tx: Prisma.TransactionClient,
  organizationId: string,
  base: string,
  exceptId?: string,
): Promise<string> {
  const rows = await tx.catalogItem.findMany({
    where: {
      organizationId,
      space: PROJECT_HUB,
      parentId: null,
      OR: [{ name: base }, { name: { startsWith: `${base} (` } }],
      ...(exceptId ? { id: { not: exceptId } } : {}),
    },
    select: { name: true },
  });
  const taken = new Set(rows.map((row) => row.name));
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base} (${n})`;
    if (!taken.has(name) && [...name].length <= MAX_NAME_LENGTH) return name;
  }
}

async function createFolderFor(
  tx: Prisma.TransactionClient,
  project: Pick<Project, "id" | "organizationId" | "name">,
): Promise<CatalogItem> {
  const name = await freeName(tx, project.organizationId, projectFolderBaseName(project.name));
  return tx.catalogItem.create({
    data: {
      organizationId: project.organizationId,
      space: PROJECT_HUB,
      parentId: null,
      kind: "FOLDER",
      type: "PROJECT",
      name,
      path: childPath(PROJECT_HUB, name),
      projectId: project.id,
    },
  });
}

/** Creates a new project's folder, in the transaction that creates the project. */
export async function createProjectFolder(
  tx: Prisma.TransactionClient,
  project: Pick<Project, "id" | "organizationId" | "name">,
): Promise<CatalogItem> {
  await lockProjectHub(tx, project.organizationId);
  return createFolderFor(tx, project);
}

/**
 * After a project's rename or restore: its folder is named after it (descendants move with it,
 * set-based), and exists (a project that predates its folder, or whose name was taken when the
 * folders were introduced, gets one now).
 */
export async function syncProjectFolder(
  tx: Prisma.TransactionClient,
  project: Pick<Project, "id" | "organizationId" | "name">,
): Promise<CatalogItem> {
  await lockProjectHub(tx, project.organizationId);
  const [folder] = await tx.$queryRaw<Array<{ id: string; name: string; path: string }>>`
    SELECT id, name, path FROM catalog_items WHERE project_id = ${project.id}::uuid FOR UPDATE`;
  if (!folder) return createFolderFor(tx, project);
  const base = projectFolderBaseName(project.name);
  // Already named after the project: "<name>", or "<name> (n)" when "<name>" was taken.
  if (folder.name === base || isNumbered(folder.name, base)) {
    return tx.catalogItem.findUniqueOrThrow({ where: { id: folder.id } });
  }
  const name = await freeName(tx, project.organizationId, base, folder.id);
  return renameFolderIn(tx, {
    organizationId: project.organizationId,
    space: PROJECT_HUB,
    id: folder.id,
    oldPath: folder.path,
    newPath: childPath(PROJECT_HUB, name),
    name,
  });
}

function isNumbered(name: string, base: string): boolean {
  return name.startsWith(`${base} (`) && /^ \(\d+\)$/.test(name.slice(base.length));
}
