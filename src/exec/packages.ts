// Loading CoginitiScript packages from the catalog with everything they import, and reading a
// script's `{{ test.Run(packages=[...]) }}` statement.
import type { CatalogEntry, CatalogService } from "../catalog/catalog.service.js";
import { UnprocessableError, ValidationError } from "../errors.js";
import { type Package, parseCallArgs, parsePackage, STD_TEST } from "./blocks.js";

/** The most packages one execution may load (the asset itself and everything it imports). */
export const MAX_PACKAGES = 32;

/** The package at `entry` and, transitively, every package it imports, by path. */
export async function loadPackages(
  catalog: CatalogService,
  entry: CatalogEntry,
): Promise<{ root: Package; content: string; packages: Map<string, Package> }> {
  if (entry.kind !== "ASSET") throw new UnprocessableError("Path must be an asset", [], "not_an_asset");
  const content = (await catalog.contentOf(entry)) ?? "";
  const root = parsePackage(entry.path, content);
  const packages = new Map<string, Package>([[root.path, root]]);
  const queue = [...root.imports];
  while (queue.length > 0) {
    const next = queue.shift() as Package["imports"][number];
    if (next.path === STD_TEST || packages.has(next.path)) continue;
    if (packages.size >= MAX_PACKAGES) {
      throw new ValidationError(`A script may load at most ${MAX_PACKAGES} packages`);
    }
    const imported = await catalog.getByPath(next.path);
    if (imported.kind !== "ASSET") {
      throw new UnprocessableError(`Imported path must be an asset: ${next.path}`, [], "not_an_asset");
    }
    const parsed = parsePackage(imported.path, (await catalog.contentOf(imported)) ?? "");
    // Imports are keyed by the path as written, so an alias resolves whatever its spelling.
    packages.set(next.path, parsed);
    packages.set(imported.path, parsed);
    queue.push(...parsed.imports);
  }
  return { root, content, packages };
}

export type TestSuite = { packages: Package[]; stopOnFailure: boolean };

/**
 * The suite a statement asks for when it is `{{ test.Run(packages=[a, b], onFailure=test.Stop) }}`
 * (with `test` the alias of "std/test" in `root`), or undefined for any other statement.
 */
export function testSuiteOf(
  statement: string,
  root: Package,
  packages: ReadonlyMap<string, Package>,
): TestSuite | undefined {
  const std = root.imports.find((i) => i.path === STD_TEST)?.alias;
  const match = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.Run\s*\(([\s\S]*)\)\s*\}\}$/.exec(statement.trim());
  if (!match || !std || match[1] !== std) return undefined;
  // Names in test.Run's arguments are package aliases and test.Stop / test.Continue, kept as text.
  const args = parseCallArgs(match[2] as string, (name) => name);
  for (const key of Object.keys(args)) {
    if (key !== "packages" && key !== "onFailure")
      throw new ValidationError(`Unknown argument of ${std}.Run: ${key}`);
  }
  const aliases = args.packages;
  if (!Array.isArray(aliases) || aliases.length === 0 || !aliases.every((a) => typeof a === "string")) {
    throw new ValidationError(`${std}.Run needs packages=[...] naming imported packages`);
  }
  const suite = aliases.map((alias) => {
    const imported = root.imports.find((i) => i.alias === alias && i.path !== STD_TEST);
    const pkg = imported && packages.get(imported.path);
    if (!pkg) throw new ValidationError(`${std}.Run: ${alias} is not an imported package`);
    return pkg;
  });
  const onFailure = args.onFailure ?? `${std}.Continue`;
  if (onFailure !== `${std}.Stop` && onFailure !== `${std}.Continue`) {
    throw new ValidationError(`${std}.Run: onFailure must be ${std}.Stop or ${std}.Continue`);
  }
  return { packages: suite, stopOnFailure: onFailure === `${std}.Stop` };
}
