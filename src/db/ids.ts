// The one id codec. Rows are keyed by uuids; REST shows some with a prefix (`rec_`, `mod_`,
// `usr_`), GraphQL shows every node as a Relay global id (base64 of `Type:uuid`, Pothos's
// encoding). Inputs may come in any of the forms a caller was shown.
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function globalId(typename: string, id: string): string {
  return encodeGlobalID(typename, id);
}

/** The uuid of a global id of `typename`, or null for anything else (another type, garbage). */
export function fromGlobalId(text: string, typename: string): string | null {
  if (!/^[A-Za-z0-9+/]+=*$/.test(text)) return null;
  try {
    const { typename: type, id } = decodeGlobalID(text);
    return type === typename && isUuid(id) ? id.toLowerCase() : null;
  } catch {
    return null;
  }
}

/** The uuid inside a prefixed REST id (`rec_<uuid>`, or the bare uuid), or null. */
export function fromRestId(text: string, prefix: string): string | null {
  const raw = text.startsWith(prefix) ? text.slice(prefix.length) : text;
  return isUuid(raw) ? raw.toLowerCase() : null;
}

/**
 * An id as a caller may give it: a global id of `typename`, a prefixed REST id, or a bare uuid;
 * null when it names no row of that kind.
 */
export function anyId(text: string | number, typename: string, prefix = ""): string | null {
  const value = String(text);
  return fromRestId(value, prefix) ?? fromGlobalId(value, typename);
}
