// CoginitiScript blocks for POST /exec/block: `#+src sql Name(arg, ...)` or `#+test sql Name()`,
// optional `#+meta` lines, `#+begin`, the SQL, `#+end`. Inside the SQL, `{{ arg }}` refers to an
// argument and `{{ map.key }}` to a key of a map argument. References become bound parameters
// (a list: one per element, comma-separated, for `IN ({{ list }})`), never text in the statement.
import { ValidationError } from "../errors.js";
import type { ParamValue } from "./sql-params.js";

export type Block = { kind: "src" | "test"; name: string; args: string[]; body: string };

const HEADER = /^#\+(src|test)\s+sql\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*$/;

export function parseBlocks(content: string): Block[] {
  const blocks: Block[] = [];
  const lines = content.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const header = HEADER.exec((lines[i] as string).trim());
    if (!header) continue;
    const [, kind, name, argText] = header as unknown as [string, "src" | "test", string, string];
    const args = argText
      .split(",")
      .map((a) => a.trim())
      .filter((a) => a !== "");
    let j = i + 1;
    while (j < lines.length && !/^#\+begin\b/.test((lines[j] as string).trim())) j++;
    const body: string[] = [];
    for (j++; j < lines.length && !/^#\+end\b/.test((lines[j] as string).trim()); j++)
      body.push(lines[j] as string);
    blocks.push({ kind, name, args, body: body.join("\n") });
    i = j;
  }
  return blocks;
}

export const BLOCK_PARAM_PREFIX = "$__block_arg_";

/** The block's SQL with argument references as `$__block_arg_N` parameters, and their values. */
export function renderBlock(
  block: Block,
  args: Record<string, ParamValue>,
): { sql: string; params: Record<string, ParamValue> } {
  for (const name of Object.keys(args)) {
    if (!block.args.includes(name))
      throw new ValidationError(`Unknown argument for block ${block.name}: ${name}`);
  }
  for (const name of block.args) {
    if (!(name in args)) throw new ValidationError(`Missing argument for block ${block.name}: ${name}`);
  }
  const params: Record<string, ParamValue> = {};
  let n = 0;
  const bind = (value: ParamValue) => {
    n++;
    params[`${BLOCK_PARAM_PREFIX}${n}`] = value;
    return `${BLOCK_PARAM_PREFIX}${n}`;
  };
  const sql = block.body.replace(/\{\{([\s\S]*?)\}\}/g, (_match, inner: string) => {
    const ref = inner.trim();
    const path = /^([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/.exec(ref);
    if (!path || !block.args.includes(path[1] as string)) {
      throw new ValidationError(`Unsupported reference in block ${block.name}: {{ ${ref} }}`);
    }
    let value: ParamValue | undefined = args[path[1] as string];
    for (const key of (path[2] ?? "").split(".").filter(Boolean)) {
      if (value === null || typeof value !== "object" || Array.isArray(value) || !(key in value)) {
        throw new ValidationError(`Argument ${ref} has no value`);
      }
      value = (value as Record<string, ParamValue>)[key];
    }
    if (Array.isArray(value)) {
      if (value.length === 0) throw new ValidationError(`Argument ${ref} must not be an empty list`);
      return value.map(bind).join(", ");
    }
    return bind(value as ParamValue);
  });
  return { sql, params };
}
