// The REST transport's guard against input no route can take (src/input-safety.ts): every
// route's path parameters, query string and parsed body are checked before validation, so the
// caller gets a 400 in the surface's shape naming the field instead of a 500 from PostgreSQL or
// a stack overflow.
import type { FastifyInstance } from "fastify";
import { assertSafeInput, displaySegment, UnsafeInputError } from "../input-safety.js";

/**
 * Installs the guard on every route except those listed (the GraphQL endpoint has its own,
 * src/graphql/input-guard.ts, answering in GraphQL's terms). Unknown paths are left to the 404.
 */
export function installInputGuard(app: FastifyInstance, options: { except: string[] }): void {
  const except = new Set(options.except);
  app.addHook("preValidation", async (request) => {
    const route = request.routeOptions.url;
    if (route === undefined || except.has(route)) return;
    assertQueryEncoding(request.url);
    assertSafeInput(request.params, "params");
    assertSafeInput(request.query, "querystring");
    assertSafeInput(request.body, "body");
  });
}

const ESCAPES = /(?:%[0-9a-f]{2})+/gi;

/**
 * Fastify answers 400 for a path whose percent-escapes are not UTF-8, but keeps such a query
 * parameter undecoded (`?search=%ED%A0%80` arrives as the nine characters). The client meant
 * something else than what would be searched or stored, so it is refused the same way. A lone
 * `%` not followed by two hex digits is no escape and is kept as it is, as Fastify does.
 */
function assertQueryEncoding(url: string): void {
  const start = url.indexOf("?");
  if (start < 0 || !url.includes("%", start)) return;
  for (const pair of url.slice(start + 1).split("&")) {
    const equals = pair.indexOf("=");
    const rawName = equals < 0 ? pair : pair.slice(0, equals);
    const name = decodeEscapes(rawName);
    const valueIsUtf8 = equals < 0 || decodeEscapes(pair.slice(equals + 1)) !== undefined;
    if (name !== undefined && valueIsUtf8) continue;
    throw new UnsafeInputError({
      field: `querystring.${displaySegment(name ?? rawName)}`,
      message:
        name === undefined
          ? "(the name) is not valid percent-encoded UTF-8"
          : "is not valid percent-encoded UTF-8",
    });
  }
}

function decodeEscapes(text: string): string | undefined {
  try {
    return text.replace(ESCAPES, (run) => decodeURIComponent(run));
  } catch {
    return undefined;
  }
}
