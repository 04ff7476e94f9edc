// Refresh and access token secrets: opaque, 256 random bits each, shown once; only their SHA-256
// is stored (the API keys' helper, src/identity/api-key-secret.ts, and for the same reasons).
// The prefix tells a reader which kind of credential leaked, and secret scanners can match it.
import { randomBytes } from "node:crypto";
import { displayPrefix, hashApiKeySecret } from "../identity/api-key-secret.js";

const REFRESH_TOKEN_PREFIX = "gwr_";
const ACCESS_TOKEN_PREFIX = "gwa_";

export function generateRefreshTokenSecret(): string {
  return `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function generateAccessTokenSecret(): string {
  return `${ACCESS_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export const hashTokenSecret = hashApiKeySecret;

/** The part of a refresh token that is safe to show in listings ("gwr_" and six characters). */
export const tokenDisplayPrefix = displayPrefix;
