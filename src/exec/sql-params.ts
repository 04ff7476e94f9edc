// `$name` and `$$name` parameters of POST /exec/sql become positional placeholders ($1, $2...)
// with their values bound separately, so a value is never part of the statement's text.
// Strings, quoted identifiers, comments and dollar-quoted bodies are skipped, not scanned.
import { ValidationError } from "../errors.js";

export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };
export type BoundSql = { text: string; values: unknown[] };

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Keys may be given as `$name`, `$$name` or bare `name` (meaning `$name`). */
function normalize(params: Record<string, ParamValue>): Map<string, ParamValue> {
  const map = new Map<string, ParamValue>();
  for (const [key, value] of Object.entries(params)) {
    const full = key.startsWith("$") ? key : `$${key}`;
    if (!/^\${1,2}[A-Za-z_][A-Za-z0-9_]*$/.test(full))
      throw new ValidationError(`Invalid parameter name: ${key}`);
    map.set(full, value);
  }
  return map;
}

function bindable(value: ParamValue): unknown {
  // Objects (maps) travel as JSON text; the statement casts them where it needs json.
  if (value !== null && typeof value === "object" && !Array.isArray(value)) return JSON.stringify(value);
  return value;
}

export function bindParams(sql: string, params: Record<string, ParamValue> = {}): BoundSql {
  const given = normalize(params);
  const positions = new Map<string, number>();
  const values: unknown[] = [];
  let out = "";
  let i = 0;
  const copyUntil = (end: number) => {
    out += sql.slice(i, end);
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      copyUntil(Math.min(j + 1, sql.length));
    } else if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      copyUntil(end === -1 ? sql.length : end);
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      copyUntil(end === -1 ? sql.length : end + 2);
    } else if (c === "$") {
      const prefix = next === "$" ? "$$" : "$";
      NAME.lastIndex = i + prefix.length;
      const name = NAME.exec(sql)?.[0];
      const token = name ? `${prefix}${name}` : undefined;
      const isDollarQuote = sql[i + prefix.length + (name?.length ?? 0)] === "$";
      if (token && given.has(token) && !(prefix === "$" && isDollarQuote)) {
        let position = positions.get(token);
        if (position === undefined) {
          values.push(bindable(given.get(token) as ParamValue));
          position = values.length;
          positions.set(token, position);
        }
        out += `$${position}`;
        i += token.length;
      } else if (prefix === "$" && name && !isDollarQuote) {
        throw new ValidationError(`Parameter $${name} has no value in params`);
      } else if (prefix === "$$" || isDollarQuote) {
        // A dollar-quoted body: $tag$ ... $tag$ (the tag may be empty).
        const tag = prefix === "$$" ? "$$" : `$${name}$`;
        const end = sql.indexOf(tag, i + tag.length);
        copyUntil(end === -1 ? sql.length : end + tag.length);
      } else if (next !== undefined && /[0-9]/.test(next)) {
        throw new ValidationError("Use named parameters ($name), not positional ones ($1)");
      } else {
        copyUntil(i + 1);
      }
    } else {
      copyUntil(i + 1);
    }
  }
  return { text: out, values };
}
