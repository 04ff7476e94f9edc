// Connection credentials at rest: AES-256-GCM with a random 96-bit IV per value. The key is
// CONNECTIONS_ENCRYPTION_KEY (base64 or hex of 32 bytes) or, when absent, a key generated once
// and kept in DATA_DIR/connections.key with mode 0600.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error("The connections encryption key must be 32 bytes");
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed, "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  }

  /** A secret derived from the key for `label` (hex), the same on every instance sharing the key. */
  derive(label: string): string {
    return createHmac("sha256", this.key).update(label).digest("hex");
  }
}

export function parseEncryptionKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : Buffer.from(trimmed, "base64");
  if (key.length !== 32)
    throw new Error("CONNECTIONS_ENCRYPTION_KEY must be 32 bytes, as 64 hex digits or base64");
  return key;
}

/** The configured key, or the one kept in dataDir (created on first use), or a per-process key. */
export function loadSecretBox(options: { key: string | undefined; dataDir: string | undefined }): SecretBox {
  if (options.key) return new SecretBox(parseEncryptionKey(options.key));
  if (!options.dataDir) return new SecretBox(randomBytes(32));
  const file = path.join(options.dataDir, "connections.key");
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
  }
  chmodSync(file, 0o600);
  return new SecretBox(parseEncryptionKey(readFileSync(file, "utf8")));
}
