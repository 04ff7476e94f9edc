// Idempotency-Key on any POST, REST or GraphQL (seed 000): the first response is stored for
// IDEMPOTENCY_TTL_HOURS and replayed to repeats with the same method, path and body; the same key
// with another request → 422; a repeat while the first is still running → 409. Keys belong to
// the caller's organisation. The claim is one INSERT … ON CONFLICT DO NOTHING, so of concurrent
// requests with one key exactly one runs.
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ConflictError, UnprocessableError, ValidationError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { authenticate } from "../identity/authenticate.js";
import type { Viewer } from "../identity/viewer.js";

declare module "fastify" {
  interface FastifyRequest {
    idempotency?: { organizationId: string; key: string } | null;
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

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

export function installIdempotency(app: FastifyInstance, prisma: PrismaClient, ttlHours: number): void {
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
    const claimed = await prisma.$executeRaw`
      INSERT INTO idempotency_keys (organization_id, key, request_hash, state, expires_at)
      VALUES (${organizationId}::uuid, ${key}, ${hash}, 'in_progress', ${expiresAt})
      ON CONFLICT (organization_id, key) DO NOTHING`;
    if (claimed === 1) {
      request.idempotency = { organizationId, key };
      return;
    }
    const existing = await prisma.idempotencyKey.findUnique({
      where: { organizationId_key: { organizationId, key } },
    });
    if (!existing) throw new ConflictError("A request with this Idempotency-Key just finished; retry it");
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
    if (existing.state !== "completed" || existing.statusCode === null) {
      throw new ConflictError("A request with this Idempotency-Key is still in progress", {
        idempotencyKey: key,
      });
    }
    request.replayed = true;
    reply.code(existing.statusCode).header("idempotent-replayed", "true");
    if (existing.contentType) reply.type(existing.contentType);
    return reply.send(existing.body ?? "");
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = null;
    const where = { organizationId_key: claim };
    // Server failures, streamed bodies and responses that reveal a secret (Cache-Control:
    // no-store: new API keys, refresh and access tokens) are not stored; the key is released.
    const secret = /\bno-store\b/i.test(String(reply.getHeader("cache-control") ?? ""));
    if (reply.statusCode >= 500 || secret || (typeof payload !== "string" && !Buffer.isBuffer(payload))) {
      await prisma.idempotencyKey.delete({ where }).catch(() => {});
      return payload;
    }
    await prisma.idempotencyKey.update({
      where,
      data: {
        state: "completed",
        statusCode: reply.statusCode,
        contentType: reply.getHeader("content-type")?.toString() ?? null,
        body: Buffer.isBuffer(payload) ? payload.toString("utf8") : payload,
      },
    });
    return payload;
  });

  // An error thrown before onSend (e.g. by a handler) still reaches onSend through the error
  // handler's reply; a request aborted before any reply releases its claim here.
  app.addHook("onResponse", async (request) => {
    if (request.idempotency) {
      await prisma.idempotencyKey
        .delete({ where: { organizationId_key: request.idempotency } })
        .catch(() => {});
    }
  });
}

/** Deletes expired keys; run periodically by the app. */
export async function purgeExpiredIdempotencyKeys(prisma: PrismaClient): Promise<number> {
  const { count } = await prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lte: new Date() } } });
  return count;
}
