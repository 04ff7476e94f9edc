// API key secrets: 256 random bits, shown once. Only their SHA-256 is stored. A slow password
// hash is not needed: the secret has full entropy, so a stolen hash cannot be brute-forced, and
// a fast hash keeps authentication to one indexed lookup per request.
import { createHash, randomBytes } from "node:crypto";

const KEY_PREFIX = "gwk_";

export function generateApiKeySecret(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function hashApiKeySecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** The part of a key that is safe to show in listings. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, KEY_PREFIX.length + 6);
}
