// Per-API-key rate limits (default RATE_LIMIT_PER_MINUTE, overridable per key), on every
// surface; access tokens spend their token family's budget (Viewer.rateLimitKey). Counters live
// in Redis when REDIS_URL is set, so instances share them; in process memory otherwise.
// rate-limiter-flexible does the atomic counting in both stores.
import { Redis } from "ioredis";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import type { Config } from "../config.js";
import type { Viewer } from "../identity/viewer.js";

export type RateLimitVerdict = {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (at least 1). */
  resetSeconds: number;
};

export class RateLimiter {
  private readonly limiters = new Map<number, RateLimiterAbstract>();
  private readonly redis: Redis | undefined;

  constructor(
    private readonly config: Config["rateLimit"],
    redisUrl: string | undefined,
  ) {
    this.redis = redisUrl
      ? new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false })
      : undefined;
    // A Redis outage must not take the API down: the limiter then counts in memory (insurance).
    this.redis?.on("error", () => {});
  }

  private limiterFor(points: number): RateLimiterAbstract {
    let limiter = this.limiters.get(points);
    if (!limiter) {
      const options = {
        points,
        duration: this.config.windowSeconds,
        keyPrefix: `rl:${points}:${this.config.windowSeconds}`,
      };
      const memory = new RateLimiterMemory(options);
      limiter = this.redis
        ? new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: memory })
        : memory;
      this.limiters.set(points, limiter);
    }
    return limiter;
  }

  /** Charges `points` to the viewer's key or token family. Keyless viewers (CLI, seed) are not limited. */
  async consume(viewer: Viewer, points = 1): Promise<RateLimitVerdict> {
    const limit = viewer.rateLimitPerMinute ?? this.config.perMinute;
    const budget = viewer.rateLimitKey;
    if (!budget) return { allowed: true, limit, remaining: limit, resetSeconds: this.config.windowSeconds };
    return this.consumeBudget(budget, limit, points);
  }

  /**
   * Charges a request that has no credential yet (a token renewal: the refresh token is what is
   * being checked) to its client address, so nobody can hammer the endpoint.
   */
  consumeAnonymous(address: string): Promise<RateLimitVerdict> {
    return this.consumeBudget(`renew-ip:${address}`, this.config.renewPerMinute, 1);
  }

  private async consumeBudget(budget: string, limit: number, points: number): Promise<RateLimitVerdict> {
    try {
      const res = await this.limiterFor(limit).consume(budget, points);
      return {
        allowed: true,
        limit,
        remaining: res.remainingPoints,
        resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return {
          allowed: false,
          limit,
          remaining: 0,
          resetSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
        };
      }
      throw rejection;
    }
  }

  async close(): Promise<void> {
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}

/** The IETF draft RateLimit header fields, sent on every authenticated response. */
export function rateLimitHeaders(verdict: RateLimitVerdict): Record<string, string> {
  return {
    "ratelimit-limit": String(verdict.limit),
    "ratelimit-remaining": String(verdict.remaining),
    "ratelimit-reset": String(verdict.resetSeconds),
  };
}
