// Input no handler can store or walk safely, refused at the edge of each transport
// (src/rest/input-guard.ts, src/graphql/input-guard.ts) before any service sees it:
// - U+0000: PostgreSQL's text and jsonb cannot hold it ("invalid byte sequence", "unsupported
//   Unicode escape sequence"), so it surfaced as a 500 from whichever query met it first;
// - lone UTF-16 surrogates: not Unicode scalar values, they cannot be encoded as UTF-8 at all;
// - nesting deeper than MAX_INPUT_DEPTH: recursive code down the line (zod, GraphQL's variable
//   coercion, the semantic filter compiler, Prisma's JSON serializer) overflows the stack.
// The walk below is iterative, so the check itself never recurses.
import { AppError } from "./errors.js";

/** Deepest nesting of objects and arrays any input may have (docs/rest-errors.md). */
export const MAX_INPUT_DEPTH = 64;

export type InputProblem = { field: string; message: string };

/**
 * A value the server refuses whatever the route: 400 `validation_error` on every surface. Not a
 * ValidationError, which seed 002's surface answers with 422 for a schema violation, nor a
 * MalformedBodyError, which SCIM reports as an unparsable body without the field.
 */
export class UnsafeInputError extends AppError {
  constructor(readonly problem: InputProblem) {
    super("validation_error", 400, `${problem.field}: ${problem.message}`, undefined, [problem]);
  }
}

const NUL = "\u0000";
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be accepted, or undefined when it can. */
export function stringProblem(text: string): string | undefined {
  if (text.includes(NUL)) return "must not contain the NUL character (U+0000)";
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate) {
    const unit = surrogate[0].charCodeAt(0).toString(16).toUpperCase();
    return `must be valid Unicode: lone surrogate U+${unit} at position ${surrogate.index}`;
  }
  return undefined;
}

/** Control characters and lone surrogates, spelled out when a key is shown back. */
const UNPRINTABLE = new RegExp(`[\\u0000-\\u001f]|${LONE_SURROGATE.source}`, "g");

/** A path segment as it may be shown back: offending characters spelled out, long keys cut. */
export function displaySegment(segment: string): string {
  const shown = segment.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return shown.length > 64 ? `${shown.slice(0, 64)}…` : shown;
}

const MAX_FIELD_LENGTH = 200;

function joinPath(base: string, segment: string | number): string {
  const shown = typeof segment === "number" ? String(segment) : displaySegment(segment);
  const joined = base ? `${base}.${shown}` : shown;
  return joined.length > MAX_FIELD_LENGTH ? `${joined.slice(0, MAX_FIELD_LENGTH)}…` : joined;
}

/**
 * The first unacceptable string, key or nesting in `value`, named by its dotted path from `root`
 * (`body.attributes.country`, `body.emails.0.value`), depth-first; an object's keys are looked
 * at before its values. `value` itself counts as the first level of nesting when it is an object
 * or an array.
 */
export function findInputProblem(
  value: unknown,
  root: string,
  maxDepth = MAX_INPUT_DEPTH,
): InputProblem | undefined {
  const stack: Array<{ value: unknown; field: string; depth: number }> = [{ value, field: root, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; field: string; depth: number };
    const current = item.value;
    if (typeof current === "string") {
      const message = stringProblem(current);
      if (message) return { field: item.field, message };
      continue;
    }
    if (current === null || typeof current !== "object" || Buffer.isBuffer(current)) continue;
    const depth = item.depth + 1;
    if (depth > maxDepth)
      return { field: item.field, message: `is nested more than ${maxDepth} levels deep` };
    const children: Array<{ value: unknown; field: string; depth: number }> = [];
    if (Array.isArray(current)) {
      current.forEach((child, index) => {
        children.push({ value: child, field: joinPath(item.field, index), depth });
      });
    } else {
      for (const [key, child] of Object.entries(current)) {
        const field = joinPath(item.field, key);
        const message = stringProblem(key);
        if (message) return { field, message: `(a key) ${message}` };
        children.push({ value: child, field, depth });
      }
    }
    // Reversed onto the stack, so the first child is looked at first.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as (typeof children)[number]);
  }
  return undefined;
}

/** Throws UnsafeInputError for the first problem of `value`. */
export function assertSafeInput(value: unknown, root: string, maxDepth = MAX_INPUT_DEPTH): void {
  const problem = findInputProblem(value, root, maxDepth);
  if (problem) throw new UnsafeInputError(problem);
}
