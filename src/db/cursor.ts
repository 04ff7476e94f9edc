// The one cursor codec: a cursor is base64url of a JSON payload, opaque to callers. Each
// listing decides what its payload holds (sort values, a sort signature) and checks it after
// decoding; a string that is no cursor at all decodes to undefined.

export function encodeCursor(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

/** The payload of a cursor this server made, or undefined for any other string. */
export function decodeCursor(text: string): unknown {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    return JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/** A sort value as a cursor keeps it: dates as ISO strings, bigints as decimal strings. */
export function cursorValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  return value ?? null;
}
