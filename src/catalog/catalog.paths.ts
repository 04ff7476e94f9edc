// Catalog paths: "<namespace>/<name>/<name>...", namespace first. Parsing never throws: a path
// that names no namespace, or has an empty segment, simply matches nothing (the caller answers
// 404 `Path not found: <path>`, exactly as for a path that does not exist).

export const NAMESPACES = ["@Personal", "@Shared", "@Project Hub"] as const;
export type Namespace = (typeof NAMESPACES)[number];

export type CatalogPath = {
  namespace: Namespace;
  /** The names below the namespace root; empty for the root itself. */
  names: string[];
  /** The normalised path: no trailing slash. */
  path: string;
};

export function isNamespace(value: string): value is Namespace {
  return (NAMESPACES as readonly string[]).includes(value);
}

/** Normalises what a caller sent (a trailing slash is ignored) for messages and lookups. */
export function normalizePath(raw: string): string {
  return raw.length > 1 && raw.endsWith("/") ? raw.slice(0, -1) : raw;
}

export function parsePath(raw: string): CatalogPath | null {
  const path = normalizePath(raw);
  const [namespace, ...names] = path.split("/");
  if (namespace === undefined || !isNamespace(namespace)) return null;
  if (names.some((name) => name.length === 0)) return null;
  return { namespace, names, path };
}

export function childPath(parentPath: string, name: string): string {
  return `${parentPath}/${name}`;
}

export function parentPathOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** A path as a URL path: each name percent-encoded, `@` kept readable as in the seed's examples. */
export function encodePath(path: string): string {
  return path
    .split("/")
    .map((name) => encodeURIComponent(name).replace(/%40/g, "@"))
    .join("/");
}

/** Escapes LIKE's wildcards so that a path is matched literally as a prefix (`ESCAPE '\'`). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
