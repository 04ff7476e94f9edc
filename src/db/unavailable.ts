// The one place that tells "the database cannot be reached" from every other failure, so both
// transports answer an outage with 503 + Retry-After (the caller may retry) instead of masking
// it as a 500 (a bug to report). Errors arrive in several wrappings: pg's own (a socket error, a
// "Connection terminated" Error, a DatabaseError with a SQLSTATE), the driver adapter's
// classification that Prisma keeps in `meta.driverAdapterError.cause`, Prisma's P1xxx codes, and
// GraphQL's `originalError` or an Error's `cause` around any of them.
import { ServiceUnavailableError } from "../errors.js";

/** What clients are told to wait: long enough for a restart or a fail-over, short enough to notice. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Node's socket failures on the way to the server (pg raises them as they are). */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
]);

/**
 * Prisma's connection codes: P1001 can't reach the server, P1002 reached but timed out, P1008
 * operation timed out, P1017 the server closed the connection, P2024 no pool connection in time.
 */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);

/** @prisma/adapter-pg's classification of a driver error (DriverAdapterError.cause.kind). */
const ADAPTER_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
]);

/**
 * SQLSTATE: class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up, in recovery), 53300 too_many_connections.
 */
function isUnavailableSqlState(code: unknown): boolean {
  return (
    typeof code === "string" && (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code) || code === "53300")
  );
}

/** pg's and pg-pool's messages for a connection that died or never came. */
const MESSAGES = [
  /^Connection terminated\b/i,
  /\bconnection (?:timeout|timed out)\b/i,
  /^timeout exceeded when trying to connect$/i,
  /\bClient has encountered a connection error and is not queryable\b/i,
  /\bCan't reach database server\b/i,
  /\bServer has closed the connection\b/i,
];

type Inspectable = {
  code?: unknown;
  message?: unknown;
  kind?: unknown;
  originalCode?: unknown;
  meta?: { driverAdapterError?: { cause?: unknown } };
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
};

function matchesItself(error: Inspectable): boolean {
  const code = error.code;
  if (typeof code === "string" && (SOCKET_CODES.has(code) || PRISMA_CODES.has(code))) return true;
  if (isUnavailableSqlState(code) || isUnavailableSqlState(error.originalCode)) return true;
  if (typeof error.kind === "string") {
    if (ADAPTER_KINDS.has(error.kind)) return true;
    if (error.kind === "postgres" && isUnavailableSqlState(error.code)) return true;
  }
  const message = typeof error.message === "string" ? error.message : "";
  return MESSAGES.some((pattern) => pattern.test(message));
}

/** True when `error`, or anything it wraps, says the database is unreachable or going away. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const pending: unknown[] = [error];
  const seen = new Set<unknown>();
  while (pending.length > 0) {
    const current = pending.pop();
    if (current === null || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    const e = current as Inspectable;
    if (matchesItself(e)) return true;
    pending.push(e.cause, e.originalError, e.meta?.driverAdapterError?.cause);
    if (Array.isArray(e.errors)) pending.push(...e.errors);
  }
  return false;
}

export function databaseUnavailableError(): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `The database is unreachable; retry after ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
    DATABASE_RETRY_AFTER_SECONDS,
  );
}
