// Seed 004: "All URLs are case insensitive" (the public API: /api/v2 and the token endpoints).
// Fastify's router is case-sensitive, and its global `caseSensitive: false` would apply to every
// surface and lower-case path parameter values too. Instead, rewriteUrl maps a request's path onto
// the spelling of the route it matches, segment by segment: static segments compare
// case-insensitively, parameter values and the query string (cursors!) stay exactly as sent.
import type { FastifyInstance } from "fastify";

export class CaseInsensitivePaths {
  private readonly routes = new Map<string, string[]>();
  private readonly prefixes: string[];

  constructor(prefixes: string[]) {
    this.prefixes = prefixes.map((p) => p.toLowerCase());
  }

  /** Learns every route registered from now on under the prefixes. */
  install(app: FastifyInstance): void {
    app.addHook("onRoute", (route) => {
      if (this.covers(route.url)) this.routes.set(route.url, route.url.split("/"));
    });
  }

  /** The URL with its path in the spelling of the matching route; unchanged when none matches. */
  rewrite(url: string): string {
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    if (!this.covers(path)) return url;
    const segments = path.split("/");
    for (const route of this.routes.values()) {
      const matched = matchRoute(route, segments);
      if (matched) return matched.join("/") + (query < 0 ? "" : url.slice(query));
    }
    return url;
  }

  private covers(path: string): boolean {
    const lower = path.toLowerCase();
    return this.prefixes.some((p) => lower === p || lower.startsWith(`${p}/`));
  }
}

function matchRoute(route: string[], segments: string[]): string[] | null {
  const out: string[] = [];
  for (let i = 0; i < route.length; i++) {
    const expected = route[i]!;
    if (expected === "*") return [...out, ...segments.slice(i)];
    const actual = segments[i];
    if (actual === undefined) return null;
    if (expected.includes(":")) out.push(actual);
    else if (expected.toLowerCase() === actual.toLowerCase()) out.push(expected);
    else return null;
  }
  return out.length === segments.length ? out : null;
}
