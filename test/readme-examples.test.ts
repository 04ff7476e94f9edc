// The README's Examples run as printed: its `sh` block is read from README.md and interpreted
// here, command by command, against the in-process app on the demo organisation. `curl` becomes
// app.inject, `node -p` runs Node, `VAR=$(…)` keeps the output; anything else the block starts
// using fails this test (extend the interpreter, or keep the README to these commands). So an
// example that drifts from the API (a renamed field, a mutation that no longer exists, a revoke
// that does not revoke) fails here.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../src/demo/demo.seed.js";
import { createTestApp, type TestApp } from "./helpers/app.js";

const OWNER_KEY = "readme-examples-owner-key-0123456789";
const METRICS_TOKEN = "readme-examples-metrics-token-0123456789";
const ORIGIN = "http://127.0.0.1:4000";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN });
  await seedDemo(t.prisma, OWNER_KEY);
}, 120_000);
afterAll(() => t.close());

/** The first ```sh block of the README's "## Examples" section. */
function examplesBlock(): string {
  const readme = readFileSync(path.resolve(import.meta.dirname, "../README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("\n## Examples"),
    readme.indexOf("\n## ", readme.indexOf("\n## Examples") + 1),
  );
  const match = /```sh\n([\s\S]*?)\n```/.exec(section);
  if (!match?.[1]) throw new Error("README: no ```sh block under ## Examples");
  return match[1];
}

/**
 * Logical lines: continuations joined, each with its comments: those on the lines right above
 * it and the one after it on the same line.
 */
function logicalLines(block: string): Array<{ text: string; comment: string }> {
  const lines: Array<{ text: string; comment: string }> = [];
  let pending = "";
  let above: string[] = [];
  for (const raw of block.split("\n")) {
    const line = pending + raw;
    if (line.endsWith("\\")) {
      pending = `${line.slice(0, -1)} `;
      continue;
    }
    pending = "";
    const cut = commentStart(line);
    const text = line.slice(0, cut).trim();
    const comment = line.slice(cut).replace(/^#\s*/, "").trim();
    if (text) {
      lines.push({ text, comment: [...above, comment].join(" ") });
      above = [];
    } else if (comment) above.push(comment);
    else above = [];
  }
  return lines;
}

/** Where a `#` comment starts: at a word boundary, outside quotes and $(…). */
function commentStart(line: string): number {
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "\\") i++;
    else if (c === "$" && line[i + 1] === "(") {
      depth++;
      i++;
    } else if (c === ")" && depth > 0) depth--;
    else if (c === "#" && depth === 0 && (i === 0 || /\s/.test(line[i - 1] ?? ""))) return i;
  }
  return line.length;
}

type Env = Map<string, string>;
type Run = { stdout: string; requests: Array<{ method: string; url: string; status: number; body: string }> };

/** The index just past the `)` closing the `$(` at `start` (quotes respected). */
function closingParen(text: string, start: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  throw new Error(`unclosed $( in ${text}`);
}

/** Shell words: '…' literal, "…" with $VAR and \" \\ \$, $VAR and $(…) anywhere else. */
async function words(text: string, env: Env, run: Run): Promise<string[]> {
  const out: string[] = [];
  let word: string | null = null;
  const add = (s: string) => {
    word = (word ?? "") + s;
  };
  const variable = (i: number): [string, number] => {
    const braced = text[i + 1] === "{";
    const m = braced ? /^\$\{(\w+)\}/.exec(text.slice(i)) : /^\$(\w+)/.exec(text.slice(i));
    if (!m) return ["$", i + 1];
    if (!env.has(m[1]!)) throw new Error(`README uses $${m[1]}, which nothing set`);
    return [env.get(m[1]!)!, i + m[0].length];
  };
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      add(text.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let s = "";
      i++;
      while (text[i] !== '"') {
        if (i >= text.length) throw new Error(`unclosed " in ${text}`);
        if (text[i] === "\\" && /["\\$]/.test(text[i + 1] ?? "")) {
          s += text[i + 1];
          i += 2;
        } else if (text[i] === "$") {
          const [value, next] = variable(i);
          s += value;
          i = next;
        } else s += text[i++];
      }
      add(s);
      i++;
    } else if (c === "$" && text[i + 1] === "(") {
      const end = closingParen(text, i + 1);
      add((await execute(text.slice(i + 2, end - 1), env, run)).replace(/\n+$/, ""));
      i = end;
    } else if (c === "$") {
      const [value, next] = variable(i);
      add(value);
      i = next;
    } else if (c === "\\") {
      add(text[i + 1] ?? "");
      i += 2;
    } else {
      add(c);
      i++;
    }
  }
  if (word !== null) out.push(word);
  return out;
}

/** Runs one command line; its stdout. */
async function execute(line: string, env: Env, run: Run): Promise<string> {
  const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(line);
  if (assignment) {
    const [, name, value] = assignment;
    // The README's placeholder for the key printed at first start.
    const expanded = value === "gwk_…" ? OWNER_KEY : ((await words(value!, env, run))[0] ?? "");
    env.set(name!, expanded);
    return "";
  }
  const all = await words(line, env, run);
  // `> file` saves the output: here it is only not printed (the test writes no files).
  const redirect = all.indexOf(">");
  const [command, ...args] = redirect === -1 ? all : all.slice(0, redirect);
  const output = await commandOutput(command, args, run);
  return redirect === -1 ? output : "";
}

async function commandOutput(command: string | undefined, args: string[], run: Run): Promise<string> {
  if (command === "node") {
    const result = spawnSync(process.execPath, args, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`node ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  }
  if (command !== "curl") throw new Error(`README example uses ${command}, which this test cannot run`);
  return curl(args, run);
}

async function curl(args: string[], run: Run): Promise<string> {
  const headers: Record<string, string> = {};
  let data: string | undefined;
  let method: string | undefined;
  let url: string | undefined;
  let discard = false;
  let format = "";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-s") continue;
    if (arg === "-H") {
      const header = args[++i]!;
      const colon = header.indexOf(":");
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (arg === "-d") data = args[++i];
    else if (arg === "-X") method = args[++i];
    else if (arg === "-o") discard = args[++i] === "/dev/null";
    else if (arg === "-w") format = args[++i]!;
    else if (arg.startsWith("-")) throw new Error(`curl option ${arg} is not interpreted here`);
    else url = arg;
  }
  if (!url?.startsWith(ORIGIN)) throw new Error(`curl of ${url}: the examples talk to ${ORIGIN}`);
  const verb = method ?? (data === undefined ? "GET" : "POST");
  const response = await t.app.inject({
    method: verb as "GET",
    url: url.slice(ORIGIN.length),
    headers,
    ...(data === undefined ? {} : { payload: data }),
  });
  run.requests.push({
    method: verb,
    url: url.slice(ORIGIN.length),
    status: response.statusCode,
    body: response.body,
  });
  const written = format.replace(/%\{http_code\}/g, String(response.statusCode)).replace(/\\n/g, "\n");
  return (discard ? "" : response.body) + written;
}

describe("README examples", () => {
  it(
    "run as printed: every request succeeds, and the revoked key is refused",
    { timeout: 120_000 },
    async () => {
      const env: Env = new Map([["METRICS_TOKEN", METRICS_TOKEN]]);
      const run: Run = { stdout: "", requests: [] };
      const lines = logicalLines(examplesBlock());
      for (const { text, comment } of lines) {
        const before = run.requests.length;
        const stdout = await execute(text, env, run);
        run.stdout += stdout;
        for (const request of run.requests.slice(before)) {
          // A comment saying "prints NNN" names the status the example shows; others must succeed.
          const stated = /prints (\d{3})/.exec(comment)?.[1];
          if (stated) expect(String(request.status), `${text}`).toBe(stated);
          else expect(request.status, `${text}\n${request.body}`).toBeLessThan(300);
          if (request.url === "/graphql") {
            expect(JSON.parse(request.body).errors, `${text}\n${request.body}`).toBeUndefined();
          }
        }
      }

      // The round trip: a key created with USERS_READ reads users, is revoked, then answers 401.
      const created = env.get("CREATED");
      expect(created, "the README keeps the created key in $CREATED").toBeDefined();
      const secret = JSON.parse(created!).data.createApiKey.secret as string;
      expect(env.get("READER")).toBe(secret);
      const uses = run.requests.filter((r) => r.url.startsWith("/v1/users"));
      expect(uses.map((r) => r.status)).toEqual([200, 200, 401]);
      const revoke = run.requests.find((r) => r.body.includes('"revokeApiKey"'));
      expect(JSON.parse(revoke!.body).data.revokeApiKey).toMatchObject({
        id: env.get("READER_ID"),
        revokedAt: expect.any(String),
      });
      expect(run.stdout).toContain("401\n");
      const key = await t.prisma.apiKey.findFirstOrThrow({ where: { name: "reader" } });
      expect(key.revokedAt).not.toBeNull();
      expect(key.scopes).toEqual(["users:read"]);
    },
  );
});
