// The SCIM filter language (RFC 7644 §3.4.2.2, figure 1, with errata 4690: no valuePath inside a
// valuePath) and PATCH paths (§3.5.2, figure 7), parsed into a small AST. Keywords, operators and
// the literals true/false/null are case-insensitive, as ABNF literals are; strings are JSON strings.
// Attribute names are kept as written: the schema resolves them (scim.attributes.ts).

export type AttrPath = {
  /** The schema URN before the attribute name, when the path is fully qualified. */
  uri: string | null;
  attr: string;
  sub: string | null;
};

export const COMPARE_OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type CompValue = string | number | boolean | null;

export type Filter =
  | { op: "and" | "or"; filters: Filter[] }
  | { op: "not"; filter: Filter }
  | { op: "pr"; path: AttrPath }
  | { op: CompareOp; path: AttrPath; value: CompValue }
  /** attr[valFilter]: some value of the multi-valued `path` matches `filter` (relative paths). */
  | { op: "valuePath"; path: AttrPath; filter: Filter };

/** A PATCH operation's path: attrPath, or valuePath with an optional sub-attribute after it. */
export type PatchPath = { path: AttrPath; filter: Filter | null; sub: string | null };

export class FilterSyntaxError extends Error {}

/** Long enough for any real client's filter; bounds the parser's work. */
export const MAX_FILTER_LENGTH = 4096;
const MAX_DEPTH = 50;

type Token =
  | { kind: "word"; text: string; at: number }
  | { kind: "string"; value: string; at: number }
  | { kind: "number"; value: number; at: number }
  | { kind: "punct"; text: "(" | ")" | "[" | "]"; at: number }
  | { kind: "end"; at: number };

const WORD = /[A-Za-z_$][A-Za-z0-9_$\-.:]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_$.])/y;
// JSON strings (RFC 8259 §7): no raw control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SPACE = /[ \t\r\n]+/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const match = (re: RegExp): string | null => {
    re.lastIndex = at;
    const m = re.exec(text);
    return m ? m[0] : null;
  };
  while (at < text.length) {
    const ch = text[at]!;
    const space = match(SPACE);
    if (space) {
      at += space.length;
      continue;
    }
    if (ch === "(" || ch === ")" || ch === "[" || ch === "]") {
      tokens.push({ kind: "punct", text: ch, at });
      at += 1;
      continue;
    }
    if (ch === '"') {
      const quoted = match(STRING);
      if (!quoted) throw new FilterSyntaxError(`Unterminated or malformed string at position ${at + 1}`);
      tokens.push({ kind: "string", value: JSON.parse(quoted) as string, at });
      at += quoted.length;
      continue;
    }
    const number = match(NUMBER);
    if (number) {
      tokens.push({ kind: "number", value: Number(number), at });
      at += number.length;
      continue;
    }
    const word = match(WORD);
    if (word) {
      tokens.push({ kind: "word", text: word, at });
      at += word.length;
      continue;
    }
    throw new FilterSyntaxError(`Unexpected character ${JSON.stringify(ch)} at position ${at + 1}`);
  }
  tokens.push({ kind: "end", at });
  return tokens;
}

function describe(token: Token): string {
  switch (token.kind) {
    case "word":
    case "punct":
      return `"${token.text}" at position ${token.at + 1}`;
    case "string":
      return `the string ${JSON.stringify(token.value)} at position ${token.at + 1}`;
    case "number":
      return `the number ${token.value} at position ${token.at + 1}`;
    case "end":
      return "the end of the filter";
  }
}

/** Splits `urn:...:User:name.givenName` into its URN, attribute and sub-attribute. */
export function parseAttrPath(text: string): AttrPath {
  let uri: string | null = null;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const colon = text.lastIndexOf(":");
    uri = text.slice(0, colon);
    rest = text.slice(colon + 1);
  }
  const parts = rest.split(".");
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(p))) {
    throw new FilterSyntaxError(`"${text}" is not an attribute path`);
  }
  return { uri, attr: parts[0]!, sub: parts[1] ?? null };
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== "end") this.index += 1;
    return token;
  }

  private keyword(token: Token, ...words: string[]): boolean {
    return token.kind === "word" && words.includes(token.text.toLowerCase());
  }

  parseAll(inBrackets: boolean): Filter {
    const filter = this.parseOr(inBrackets);
    const rest = this.peek();
    if (rest.kind !== "end") throw new FilterSyntaxError(`Unexpected ${describe(rest)}`);
    return filter;
  }

  private nested<T>(parse: () => T): T {
    this.depth += 1;
    if (this.depth > MAX_DEPTH)
      throw new FilterSyntaxError(`The filter nests deeper than ${MAX_DEPTH} levels`);
    try {
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  private parseOr(inBrackets: boolean): Filter {
    const filters = [this.parseAnd(inBrackets)];
    while (this.keyword(this.peek(), "or")) {
      this.next();
      filters.push(this.parseAnd(inBrackets));
    }
    return filters.length === 1 ? filters[0]! : { op: "or", filters };
  }

  private parseAnd(inBrackets: boolean): Filter {
    const filters = [this.parseUnary(inBrackets)];
    while (this.keyword(this.peek(), "and")) {
      this.next();
      filters.push(this.parseUnary(inBrackets));
    }
    return filters.length === 1 ? filters[0]! : { op: "and", filters };
  }

  private parseUnary(inBrackets: boolean): Filter {
    const token = this.peek();
    // `not` is a keyword only before a parenthesis: `not pr` still tests an attribute named "not".
    if (this.keyword(token, "not") && this.tokens[this.index + 1]?.kind === "punct") {
      this.next();
      return this.nested(() => ({ op: "not", filter: this.parseUnary(inBrackets) }));
    }
    if (token.kind === "punct" && token.text === "(") {
      this.next();
      const inner = this.nested(() => this.parseOr(inBrackets));
      const close = this.next();
      if (close.kind !== "punct" || close.text !== ")") {
        throw new FilterSyntaxError(`Expected ")" but found ${describe(close)}`);
      }
      return inner;
    }
    return this.parseAttrExp(inBrackets);
  }

  private parseAttrExp(inBrackets: boolean): Filter {
    const token = this.next();
    if (token.kind !== "word")
      throw new FilterSyntaxError(`Expected an attribute but found ${describe(token)}`);
    const path = parseAttrPath(token.text);
    if (inBrackets && (path.uri !== null || path.sub !== null)) {
      throw new FilterSyntaxError(`"${token.text}" must be a plain sub-attribute name inside [ ]`);
    }
    const operator = this.next();
    if (operator.kind === "punct" && operator.text === "[") {
      if (inBrackets) throw new FilterSyntaxError("A value filter cannot contain another value filter");
      if (path.sub !== null) throw new FilterSyntaxError(`"${token.text}[" names a sub-attribute before [`);
      const filter = this.nested(() => this.parseOr(true));
      const close = this.next();
      if (close.kind !== "punct" || close.text !== "]") {
        throw new FilterSyntaxError(`Expected "]" but found ${describe(close)}`);
      }
      return { op: "valuePath", path, filter };
    }
    if (operator.kind !== "word") {
      throw new FilterSyntaxError(
        `Expected an operator after "${token.text}" but found ${describe(operator)}`,
      );
    }
    const op = operator.text.toLowerCase();
    if (op === "pr") return { op: "pr", path };
    if (!(COMPARE_OPS as readonly string[]).includes(op)) {
      throw new FilterSyntaxError(`Unknown operator ${describe(operator)}`);
    }
    return { op: op as CompareOp, path, value: this.parseValue() };
  }

  private parseValue(): CompValue {
    const token = this.next();
    if (token.kind === "string" || token.kind === "number") return token.value;
    if (token.kind === "word") {
      const word = token.text.toLowerCase();
      if (word === "true") return true;
      if (word === "false") return false;
      if (word === "null") return null;
    }
    throw new FilterSyntaxError(
      `Expected a value (a string, number, true, false or null) but found ${describe(token)}`,
    );
  }
}

function checkLength(text: string): void {
  if (text.length > MAX_FILTER_LENGTH) {
    throw new FilterSyntaxError(`The filter is longer than ${MAX_FILTER_LENGTH} characters`);
  }
}

/** Parses a `filter` parameter. Throws FilterSyntaxError. */
export function parseFilter(text: string): Filter {
  checkLength(text);
  if (text.trim() === "") throw new FilterSyntaxError("The filter is empty");
  return new Parser(tokenize(text)).parseAll(false);
}

/** Parses a PATCH operation's `path`. Throws FilterSyntaxError. */
export function parsePatchPath(text: string): PatchPath {
  checkLength(text);
  const trimmed = text.trim();
  const head = /^[A-Za-z_$][A-Za-z0-9_$\-.:]*/.exec(trimmed)?.[0];
  if (!head) throw new FilterSyntaxError(`"${text}" is not an attribute path`);
  const path = parseAttrPath(head);
  const rest = trimmed.slice(head.length);
  if (rest === "") return { path, filter: null, sub: null };
  if (!rest.startsWith("[") || path.sub !== null)
    throw new FilterSyntaxError(`"${text}" is not an attribute path`);
  const close = closingBracket(rest);
  const filter = new Parser(tokenize(rest.slice(1, close))).parseAll(true);
  const after = rest.slice(close + 1);
  if (after === "") return { path, filter, sub: null };
  const sub = /^\.([A-Za-z_$][A-Za-z0-9_$-]*)$/.exec(after)?.[1];
  if (!sub) throw new FilterSyntaxError(`Unexpected "${after}" after the value filter in "${text}"`);
  return { path, filter, sub };
}

/** Index of the "]" closing the "[" at 0, skipping quoted strings. */
function closingBracket(text: string): number {
  let inString = false;
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i += 1;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "]") return i;
  }
  throw new FilterSyntaxError(`Missing "]" in "${text}"`);
}
