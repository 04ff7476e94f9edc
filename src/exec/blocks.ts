// CoginitiScript blocks for POST /exec/block: `#+src sql Name(arg, ...)` or `#+test sql Name()`,
// optional `#+meta` lines, `#+begin`, the SQL, `#+end`. A package may `#+import "path"` (or
// `#+import "path" as alias`) other catalog assets. Inside the SQL, `{{ arg }}` refers to an
// argument, `{{ map.key }}` to a key of a map argument, and `{{ Block(x=..) }}` or
// `{{ alias.Block(x=..) }}` calls a block of this package or of an imported one, inlined as a
// parenthesised subquery. References become bound parameters (a list: one per element,
// comma-separated, for `IN ({{ list }})`), never text in the statement.
import { ValidationError } from "../errors.js";
import type { ParamValue } from "./sql-params.js";

export type Block = { kind: "src" | "test"; name: string; args: string[]; body: string };
export type Import = { path: string; alias: string };
/** A parsed package: its path in the catalog, its blocks and what it imports. */
export type Package = { path: string; blocks: Block[]; imports: Import[] };

/** The standard library's test package: `test.Run(packages=[...])`. */
export const STD_TEST = "std/test";
/** How deep block calls may nest (a call inside a called block counts one more). */
export const MAX_CALL_DEPTH = 8;

const HEADER = /^#\+(src|test)\s+sql\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*$/;
const IMPORT = /^#\+import\s+"([^"]+)"(?:\s+as\s+([A-Za-z_][A-Za-z0-9_]*))?\s*$/;

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

/** `#+import` lines; the alias defaults to the path's last segment. */
export function parseImports(content: string): Import[] {
  const imports: Import[] = [];
  for (const line of content.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.startsWith("#+import")) continue;
    const match = IMPORT.exec(trimmed);
    if (!match) throw new ValidationError(`Invalid import: ${trimmed}`);
    const path = match[1] as string;
    const alias =
      match[2] ??
      path
        .split("/")
        .at(-1)
        ?.replace(/[^A-Za-z0-9_]/g, "_") ??
      "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) {
      throw new ValidationError(`Import ${path} needs an alias: #+import "${path}" as name`);
    }
    imports.push({ path, alias });
  }
  return imports;
}

export function parsePackage(path: string, content: string): Package {
  return { path, blocks: parseBlocks(content), imports: parseImports(content) };
}

export const BLOCK_PARAM_PREFIX = "$__block_arg_";

/** What a rendering can reach: packages by path, to resolve calls through imports. */
export type RenderContext = { packages: ReadonlyMap<string, Package>; current?: Package };

type Binder = { params: Record<string, ParamValue>; n: number };

/** The block's SQL with argument references as `$__block_arg_N` parameters, and their values. */
export function renderBlock(
  block: Block,
  args: Record<string, ParamValue>,
  context: RenderContext = { packages: new Map() },
): { sql: string; params: Record<string, ParamValue> } {
  const binder: Binder = { params: {}, n: 0 };
  const sql = render(block, args, context, binder, 0);
  return { sql, params: binder.params };
}

/**
 * SQL outside any block (a script's statements) with its `{{ }}` references rendered: only
 * block calls are possible there, since a script has no arguments.
 */
export function renderScript(
  sql: string,
  context: RenderContext,
): { sql: string; params: Record<string, ParamValue> } {
  const binder: Binder = { params: {}, n: 0 };
  const script: Block = { kind: "src", name: "(script)", args: [], body: sql };
  return { sql: render(script, {}, context, binder, 0), params: binder.params };
}

function render(
  block: Block,
  args: Record<string, ParamValue>,
  context: RenderContext,
  binder: Binder,
  depth: number,
): string {
  for (const name of Object.keys(args)) {
    if (!block.args.includes(name))
      throw new ValidationError(`Unknown argument for block ${block.name}: ${name}`);
  }
  for (const name of block.args) {
    if (!(name in args)) throw new ValidationError(`Missing argument for block ${block.name}: ${name}`);
  }
  const bind = (value: ParamValue) => {
    binder.n++;
    binder.params[`${BLOCK_PARAM_PREFIX}${binder.n}`] = value;
    return `${BLOCK_PARAM_PREFIX}${binder.n}`;
  };
  return block.body.replace(/\{\{([\s\S]*?)\}\}/g, (_match, inner: string) => {
    const ref = inner.trim();
    const call = /^(?:([A-Za-z_][A-Za-z0-9_]*)\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\(([\s\S]*)\)$/.exec(ref);
    if (call) {
      if (depth >= MAX_CALL_DEPTH) {
        throw new ValidationError(`Block calls nest deeper than ${MAX_CALL_DEPTH} (a call cycle?) at ${ref}`);
      }
      const [, alias, name, argText] = call as unknown as [string, string | undefined, string, string];
      const { target, owner } = resolveCall(alias, name, context);
      const callArgs = parseCallArgs(argText ?? "", (path) => argumentValue(path, block, args));
      const body = render(target, callArgs, { ...context, current: owner }, binder, depth + 1);
      return `(${body.trim().replace(/;\s*$/, "")})`;
    }
    const value = argumentValue(ref, block, args);
    if (Array.isArray(value)) {
      if (value.length === 0) throw new ValidationError(`Argument ${ref} must not be an empty list`);
      return value.map(bind).join(", ");
    }
    return bind(value);
  });
}

/** `name` or `map.key.key` among the block's arguments. */
function argumentValue(ref: string, block: Block, args: Record<string, ParamValue>): ParamValue {
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
  return value as ParamValue;
}

function resolveCall(
  alias: string | undefined,
  name: string,
  context: RenderContext,
): { target: Block; owner: Package | undefined } {
  let owner = context.current;
  if (alias !== undefined) {
    const imported = context.current?.imports.find((i) => i.alias === alias);
    if (!imported) throw new ValidationError(`Unknown package in block call: ${alias}.${name}`);
    if (imported.path === STD_TEST)
      throw new ValidationError(`${alias}.${name} can only be run by /exec/script`);
    owner = context.packages.get(imported.path);
    if (!owner) throw new ValidationError(`Package not loaded: ${imported.path}`);
  }
  const target = owner?.blocks.find((b) => b.name === name && b.kind === "src");
  if (!target) throw new ValidationError(`Block not found: ${alias ? `${alias}.` : ""}${name}`);
  return { target, owner };
}

/**
 * `key=value, ...` of a block call. Values: "text" or 'text', numbers, true/false/null, lists
 * `[v, ...]`, or a reference to the calling block's arguments (resolved by `lookup`).
 */
export function parseCallArgs(
  text: string,
  lookup: (path: string) => ParamValue,
): Record<string, ParamValue> {
  let i = 0;
  const fail = (why: string): never => {
    throw new ValidationError(`Invalid block call arguments (${why}): ${text.trim()}`);
  };
  const space = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const value = (): ParamValue => {
    space();
    const c = text[i];
    if (c === '"' || c === "'") {
      let out = "";
      for (i++; i < text.length && text[i] !== c; i++) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        out += text[i];
      }
      if (text[i] !== c) fail("unterminated string");
      i++;
      return out;
    }
    if (c === "[") {
      i++;
      const list: ParamValue[] = [];
      space();
      if (text[i] === "]") {
        i++;
        return list;
      }
      for (;;) {
        list.push(value());
        space();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return list;
        } else fail("expected , or ]");
      }
    }
    const number = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i))?.[0];
    if (number) {
      i += number.length;
      return Number(number);
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(text.slice(i))?.[0];
    if (!word) return fail("expected a value");
    i += word.length;
    if (word === "true") return true;
    if (word === "false") return false;
    if (word === "null") return null;
    return lookup(word);
  };
  const result: Record<string, ParamValue> = {};
  space();
  while (i < text.length) {
    const key = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))?.[0];
    if (!key) fail("expected name=value");
    i += (key as string).length;
    space();
    if (text[i] !== "=") fail("expected =");
    i++;
    if (Object.hasOwn(result, key as string)) fail(`${key} given twice`);
    result[key as string] = value();
    space();
    if (i < text.length) {
      if (text[i] !== ",") fail("expected ,");
      i++;
      space();
    }
  }
  return result;
}
