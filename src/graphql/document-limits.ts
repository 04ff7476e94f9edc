// Bounds on what a GraphQL document may cost the server before it is ever executed: its size in
// bytes (checked before parsing), and the memory that parsed documents kept for reuse may hold.
// A parsed document with locations keeps every lexer token alive (about 200 to 500 heap bytes
// per token, some 80 bytes per byte of source), so an unbounded parse cache of large unique
// documents exhausts the heap within a few dozen requests.
import { type DocumentNode, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

/** Heap bytes a parsed document is charged per lexer token (measured: 200 to 512). */
const BYTES_PER_TOKEN = 512;

/**
 * True when `query` has more than `maxBytes` UTF-8 bytes. Yoga runs every onParams hook even after
 * one has set the result, so later hooks that would read the document ask this first.
 */
export function documentTooLarge(query: unknown, maxBytes: number): boolean {
  if (typeof query !== "string") return false;
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string is refused uncounted.
  return query.length > maxBytes || Buffer.byteLength(query, "utf8") > maxBytes;
}

/**
 * Refuses a document larger than `maxBytes` (UTF-8) before it is parsed: 413 DOCUMENT_TOO_LARGE.
 */
export function useDocumentSizeLimit(maxBytes: number): Plugin {
  return {
    onParams({ params, setResult }) {
      if (!documentTooLarge(params.query, maxBytes)) return;
      setResult({
        errors: [
          new GraphQLError(`The document exceeds the limit of ${maxBytes} bytes`, {
            extensions: { code: "DOCUMENT_TOO_LARGE", maxBytes, http: { status: 413 } },
          }),
        ],
      });
    },
  };
}

/** A least-recently-used cache bounded by its number of entries and by the bytes they weigh. */
export class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly options: {
      maxEntries: number;
      maxBytes: number;
      /** Entries heavier than this are not kept at all. */
      maxEntryBytes: number;
      weigh: (key: string, value: V) => number;
    },
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Map keeps insertion order: re-inserting marks the entry as the most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.bytes;
    }
    const bytes = this.options.weigh(key, value);
    if (bytes > this.options.maxEntryBytes || bytes > this.options.maxBytes || this.options.maxEntries < 1) {
      return;
    }
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.bytes <= this.options.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }
}

/** Estimated heap bytes of a parsed document: its source plus its tokens (and the nodes on them). */
export function documentWeight(source: string, document: DocumentNode): number {
  let tokens = 0;
  for (let token = document.loc?.startToken ?? null; token; token = token.next) tokens++;
  return source.length * 2 + tokens * BYTES_PER_TOKEN;
}

/**
 * The caches for yoga's parser and validation cache. Validation results are kept in a WeakMap
 * keyed by the parsed document, so bounding the documents bounds them too. A parse error keeps
 * its source; its weight is the source's.
 */
export function documentCaches(options: { maxEntries: number; maxBytes: number }) {
  // No single document may take more than an eighth of the budget.
  const maxEntryBytes = Math.floor(options.maxBytes / 8);
  return {
    documentCache: new BoundedCache<DocumentNode>({ ...options, maxEntryBytes, weigh: documentWeight }),
    errorCache: new BoundedCache<unknown>({
      ...options,
      maxEntryBytes,
      weigh: (source) => source.length * 4 + 1024,
    }),
    validationCache: true,
  };
}
