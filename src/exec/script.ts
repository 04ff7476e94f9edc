// The statement POST /exec/script runs: a catalog asset's first statement. CoginitiScript block
// definitions (`#+src ... #+end`) and other `#+` directives are not part of the script's own
// statements; `;` inside strings, quoted identifiers, comments and dollar-quoted bodies does not
// end a statement.

/** The script's text without CoginitiScript block definitions and directive lines. */
export function scriptBody(content: string): string {
  const out: string[] = [];
  let inBlock = false;
  for (const line of content.split("\n")) {
    const trimmed = line.trim();
    if (inBlock) {
      if (/^#\+end\b/.test(trimmed)) inBlock = false;
      out.push("");
    } else if (/^#\+src\b/.test(trimmed)) {
      inBlock = true;
      out.push("");
    } else if (trimmed.startsWith("#+")) {
      out.push("");
    } else {
      out.push(line);
    }
  }
  return out.join("\n");
}

/** The statements of a script, in order; empty ones (only blanks and comments) left out. */
export function splitStatements(sql: string, params: ReadonlySet<string> = new Set()): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  let hasCode = false;
  const push = (end: number) => {
    if (hasCode) statements.push(sql.slice(start, end).trim());
    start = end + 1;
    hasCode = false;
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
      hasCode = true;
      i = j + 1;
    } else if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end;
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "$") {
      // `$$name` is a parameter when params has it (as bindParams reads it), else a dollar quote.
      const param = /^\$\$[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))?.[0];
      if (param && params.has(param)) {
        hasCode = true;
        i += param.length;
        continue;
      }
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0];
      hasCode = true;
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end === -1 ? sql.length : end + tag.length;
      } else i++;
    } else if (c === ";") {
      push(i);
      i++;
    } else {
      if (!/\s/.test(c)) hasCode = true;
      i++;
    }
  }
  push(sql.length);
  return statements;
}

/** The first statement of an asset's content, or undefined when it has none. */
export function firstStatement(content: string, params: Record<string, unknown> = {}): string | undefined {
  const names = new Set(Object.keys(params).map((key) => (key.startsWith("$") ? key : `$${key}`)));
  return splitStatements(scriptBody(content), names)[0];
}
