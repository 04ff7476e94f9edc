// Idempotency-Key on any POST, REST or GraphQL (seed 000): the first response is stored for
// IDEMPOTENCY_TTL_HOURS and replayed to repeats with the same method, path, body and credential;
// the same key with another request → 422; a repeat while the first is still running → 409.
// Keys belong to the caller's organisation.
//
// A claim is one INSERT … ON CONFLICT DO NOTHING, so of concurrent requests with one key exactly
// one runs. It carries a lease (IDEMPOTENCY_LEASE_SECONDS, on the database's clock) that the
// process renews while the request runs; a claim whose process died (kill -9, lost host) stops
// being renewed, and the first retry after its lease takes it over with a conditional UPDATE
// (exactly one retry wins) and runs the request afresh. Every later write of a claim is
// conditional on its lease token, so a holder that lost its lease can neither store nor release
// what the new holder owns. Why a lease rather than one transaction: docs/architecture.md.
import { createHash, randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { parse } from "graphql";
import type { Config } from "../config.js";
import { ConflictError, RateLimitedError, UnprocessableError, ValidationError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { authenticate } from "../identity/authenticate.js";
import type { Viewer } from "../identity/viewer.js";
import { costPoints, estimateCost } from "../limits/graphql-cost.js";
import { type RateLimiter, rateLimitHeaders } from "../limits/rate-limiter.js";

type Claim = { organizationId: string; key: string; token: string; renewal: NodeJS.Timeout };

declare module "fastify" {
  interface FastifyRequest {
    idempotency?: Claim | null;
  }
}

export type IdempotencyOptions = {
  ttlHours: number;
  leaseSeconds: number;
  limiter: RateLimiter;
  /** GraphQL's token bound: a replayed document is parsed (to charge its cost) under it too. */
  graphqlMaxTokens: number;
};

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Response headers a replay repeats: they name and version what the first request made. */
const REPLAYED_HEADERS = ["location", "etag", "last-modified"] as const;

/** A claim released between our INSERT and our read is tried again, a few times. */
const CLAIM_ATTEMPTS = 3;

/**
 * Renewals stop after this long, whatever happens: a request whose reply never completes (its
 * hooks never run) must not hold its key for the life of the process.
 */
const MAX_HOLD_MS = 15 * 60_000;

/**
 * What a repeat must match to be replayed: the method, path and body, and the credential (API key
 * or token family). Without the credential, a caller could replay another credential's stored
 * response by guessing its key, and read what its own permissions would refuse.
 */
function requestHash(request: FastifyRequest, viewer: Viewer): string {
  const path = request.url.split("?")[0] ?? "";
  const body = request.body === undefined ? "" : JSON.stringify(request.body);
  const credential = viewer.rateLimitKey ?? `user:${viewer.user.id}`;
  return createHash("sha256").update(`${credential}\n${request.method}\n${path}\n${body}`).digest("hex");
}

/** The points a GraphQL request costs (as src/graphql/yoga.ts charges it); 1 if it does not parse. */
function graphqlPoints(body: unknown, maxTokens: number): number {
  const { query, variables, operationName } = (body ?? {}) as Record<string, unknown>;
  if (typeof query !== "string") return 1;
  try {
    const vars = variables && typeof variables === "object" ? (variables as Record<string, unknown>) : {};
    const name = typeof operationName === "string" ? operationName : undefined;
    return costPoints(estimateCost(parse(query, { maxTokens }), vars, name));
  } catch {
    return 1;
  }
}

function storedHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}

export function installIdempotency(app: FastifyInstance, prisma: PrismaClient, options: IdempotencyOptions) {
  const { ttlHours, leaseSeconds, limiter, graphqlMaxTokens } = options;
  // Renewed three times per lease: a request loses its claim only if its process stalls (or
  // cannot reach the database) for a whole lease.
  const renewEveryMs = Math.max(200, Math.floor((leaseSeconds * 1000) / 3));

  const hold = (organizationId: string, key: string, token: string): Claim => {
    const since = Date.now();
    const renewal = setInterval(() => {
      if (Date.now() - since > MAX_HOLD_MS) {
        clearInterval(renewal);
        return;
      }
      prisma.$executeRaw`
        UPDATE idempotency_keys
        SET lease_expires_at = now() + make_interval(secs => ${leaseSeconds}::int)
        WHERE organization_id = ${organizationId}::uuid AND key = ${key}
          AND lease_token = ${token}::uuid AND state = 'in_progress'`.catch(() => {
        // The database is unreachable: the lease runs out, and the claim is a retry's to take.
      });
    }, renewEveryMs);
    renewal.unref();
    return { organizationId, key, token, renewal };
  };

  const release = async (claim: Claim) => {
    clearInterval(claim.renewal);
    await prisma.$executeRaw`
      DELETE FROM idempotency_keys
      WHERE organization_id = ${claim.organizationId}::uuid AND key = ${claim.key}
        AND lease_token = ${claim.token}::uuid AND state = 'in_progress'`.catch(() => {});
  };

  app.addHook("preHandler", async (request, reply) => {
    const header = request.headers["idempotency-key"];
    if (request.method !== "POST" || header === undefined) return;
    const key = [header].flat()[0] ?? "";
    if (!KEY_PATTERN.test(key)) {
      throw new ValidationError("Idempotency-Key must be 1 to 255 printable ASCII characters", [
        { field: "Idempotency-Key", message: "must be 1 to 255 printable ASCII characters" },
      ]);
    }
    // GraphQL authenticates inside yoga; a key needs an organisation first. A failure here is
    // left for yoga to report in GraphQL's own shape.
    let viewer: Viewer | null = request.viewer;
    const graphql = !viewer;
    if (!viewer) {
      try {
        viewer = await authenticate(prisma, { authorization: request.headers.authorization });
      } catch {
        return;
      }
    }
    const organizationId = viewer.organization.id;
    const hash = requestHash(request, viewer);
    const expiresAt = new Date(Date.now() + ttlHours * 3_600_000);

    await prisma.idempotencyKey.deleteMany({
      where: { organizationId, key, expiresAt: { lte: new Date() } },
    });
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      const token = randomUUID();
      const claimed = await prisma.$executeRaw`
        INSERT INTO idempotency_keys
          (organization_id, key, request_hash, state, lease_token, lease_expires_at, expires_at)
        VALUES (${organizationId}::uuid, ${key}, ${hash}, 'in_progress', ${token}::uuid,
          now() + make_interval(secs => ${leaseSeconds}::int), ${expiresAt})
        ON CONFLICT (organization_id, key) DO NOTHING`;
      if (claimed === 1) {
        request.idempotency = hold(organizationId, key, token);
        return;
      }
      const existing = await prisma.idempotencyKey.findUnique({
        where: { organizationId_key: { organizationId, key } },
      });
      if (!existing) continue; // released (a 5xx, a secret) since our INSERT: claim it again
      if (existing.requestHash !== hash) {
        throw new UnprocessableError(
          "This Idempotency-Key was already used with a different request",
          [
            {
              field: "Idempotency-Key",
              message: "already used with a different method, path, body or credential",
            },
          ],
          "idempotency_key_reused",
        );
      }
      if (existing.state === "completed" && existing.statusCode !== null) {
        // REST requests were charged when they authenticated; GraphQL charges inside yoga, which
        // a replay never reaches, so it is charged here, the same points as a run.
        if (graphql) {
          const verdict = await limiter.consume(viewer, graphqlPoints(request.body, graphqlMaxTokens));
          reply.headers(rateLimitHeaders(verdict));
          if (!verdict.allowed) throw new RateLimitedError(verdict.resetSeconds);
        }
        request.replayed = true;
        reply.code(existing.statusCode).header("idempotent-replayed", "true");
        reply.headers((existing.headers ?? {}) as Record<string, string>);
        if (existing.contentType) reply.type(existing.contentType);
        return reply.send(existing.body ?? "");
      }
      // In progress. If its lease has run out, its process is gone: exactly one retry takes it
      // over (the row lock serialises the UPDATEs; the loser re-reads a fresh lease and matches
      // nothing) and runs the request afresh.
      const takenOver = await prisma.$executeRaw`
        UPDATE idempotency_keys
        SET lease_token = ${token}::uuid,
            lease_expires_at = now() + make_interval(secs => ${leaseSeconds}::int)
        WHERE organization_id = ${organizationId}::uuid AND key = ${key}
          AND request_hash = ${hash} AND state = 'in_progress' AND lease_expires_at <= now()`;
      if (takenOver === 1) {
        request.log.info({ idempotencyKey: key }, "idempotency claim taken over after its lease expired");
        request.idempotency = hold(organizationId, key, token);
        return;
      }
      const wait = Math.max(1, Math.ceil((existing.leaseExpiresAt.getTime() - Date.now()) / 1000));
      reply.header("retry-after", String(Math.min(wait, leaseSeconds)));
      throw new ConflictError("A request with this Idempotency-Key is still in progress", {
        idempotencyKey: key,
      });
    }
    throw new ConflictError("A request with this Idempotency-Key just finished; retry it", {
      idempotencyKey: key,
    });
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = null;
    // Server failures, streamed bodies and responses that reveal a secret (Cache-Control:
    // no-store: new API keys, refresh and access tokens) are not stored; the key is released.
    const secret = /\bno-store\b/i.test(String(reply.getHeader("cache-control") ?? ""));
    if (reply.statusCode >= 500 || secret || (typeof payload !== "string" && !Buffer.isBuffer(payload))) {
      await release(claim);
      return payload;
    }
    clearInterval(claim.renewal);
    const { count } = await prisma.idempotencyKey.updateMany({
      where: { organizationId: claim.organizationId, key: claim.key, leaseToken: claim.token },
      data: {
        state: "completed",
        statusCode: reply.statusCode,
        contentType: reply.getHeader("content-type")?.toString() ?? null,
        headers: storedHeaders(reply),
        body: Buffer.isBuffer(payload) ? payload.toString("utf8") : payload,
      },
    });
    if (count === 0) {
      request.log.warn({ idempotencyKey: claim.key }, "idempotency claim lost to a retry before completion");
    }
    return payload;
  });

  // An error thrown before onSend (e.g. by a handler) still reaches onSend through the error
  // handler's reply; a request aborted before any reply releases its claim here.
  app.addHook("onResponse", async (request) => {
    const claim = request.idempotency;
    if (claim) {
      request.idempotency = null;
      await release(claim);
    }
  });
}

/** Deletes expired keys; run periodically by the app. */
export async function purgeExpiredIdempotencyKeys(prisma: PrismaClient): Promise<number> {
  const { count } = await prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lte: new Date() } } });
  return count;
}

/** The options of installIdempotency from the configuration. */
export function idempotencyOptions(config: Config, limiter: RateLimiter): IdempotencyOptions {
  return {
    ttlHours: config.idempotencyTtlHours,
    leaseSeconds: config.idempotencyLeaseSeconds,
    limiter,
    graphqlMaxTokens: config.graphql.maxTokens,
  };
}
