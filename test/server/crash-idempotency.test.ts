// kill -9 with Idempotency-Key requests in flight, on the real server process: after a restart
// and the lease (IDEMPOTENCY_LEASE_SECONDS), a retry with the same key ends in the first outcome
// (the stored response, replayed) or a fresh run, never in a 409 "still in progress". Before
// leases, every claim a killed process left behind answered 409 for the whole 24 h.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createScratchDatabase, testDatabaseServerUrl } from "../helpers/database.js";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const READY_LINE = /GraphQL \+ GraphiQL: (http:\/\/\S+)\/graphql/;
const START_TIMEOUT_MS = 120_000;
const LEASE_SECONDS = 2;
const CYCLES = Number(process.env.CRASH_CYCLES ?? 3);
/** Requests kept in flight at once; the kill lands while they run. */
const CONCURRENCY = 8;

const KEY = `gwk_${randomBytes(24).toString("base64url")}`;
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void> | void> = [];

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  for (const cleanup of cleanups) await cleanup();
});

type Server = { child: ChildProcess; origin: string; output(): string; exited: Promise<void> };

async function startServer(env: Record<string, string>): Promise<Server> {
  const base = { ...process.env };
  for (const name of ["DATABASE_URL", "TEST_DATABASE_URL", "BOOTSTRAP_API_KEY", "PORT", "DATA_DIR"]) {
    delete base[name];
  }
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: REPO_ROOT,
    env: {
      ...base,
      HOST: "127.0.0.1",
      PORT: "0",
      DEMO_DATA: "true",
      LOG_LEVEL: "info",
      BOOTSTRAP_API_KEY: KEY,
      IDEMPOTENCY_LEASE_SECONDS: String(LEASE_SECONDS),
      RATE_LIMIT_PER_MINUTE: "1000000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  let exit = "";
  const exited = new Promise<void>((resolve) =>
    child.on("exit", (code, signal) => {
      children.delete(child);
      exit = `code ${code}, signal ${signal}`;
      resolve();
    }),
  );
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line:\n${out}`)), START_TIMEOUT_MS);
    const onData = (chunk: string) => {
      out += chunk;
      const match = READY_LINE.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.setEncoding("utf8").on("data", onData);
    child.stderr!.setEncoding("utf8").on("data", onData);
    void exited.then(() => reject(new Error(`server exited (${exit}) before it was ready:\n${out}`)));
  });
  return { child, origin, output: () => out, exited };
}

type Attempt = { key: string; name: string; status?: number; id?: string };

function create(origin: string, attempt: Attempt) {
  return fetch(`${origin}/v1/modules/contacts/records`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${KEY}`,
      "content-type": "application/json",
      "idempotency-key": attempt.key,
    },
    body: JSON.stringify({ displayName: attempt.name, fields: { name: attempt.name } }),
  });
}

/**
 * Keeps CONCURRENCY creates in flight until `stop` resolves; every attempt is returned.
 * `onAnswer` hears of each answered one.
 */
async function load(
  origin: string,
  cycle: number,
  stop: Promise<void>,
  onAnswer: (answered: number) => void,
): Promise<Attempt[]> {
  let answered = 0;
  const attempts: Attempt[] = [];
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  let n = 0;
  const worker = async () => {
    while (!stopped) {
      const seq = String(n++).padStart(4, "0");
      const attempt: Attempt = { key: `crash-${cycle}-${seq}`, name: `crash-${cycle}-${seq}` };
      attempts.push(attempt);
      try {
        const response = await create(origin, attempt);
        const body = (await response.json()) as { record?: { id: string } };
        attempt.status = response.status;
        attempt.id = body.record?.id;
        onAnswer(++answered);
      } catch {
        // The process died with this request in flight: no answer.
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return attempts;
}

async function namesOnServer(origin: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let page = 1; ; page++) {
    const response = await fetch(`${origin}/v1/modules/contacts/records?page=${page}&pageSize=100`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    const body = (await response.json()) as { records: Array<{ displayName: string }> };
    expect(response.status).toBe(200);
    for (const record of body.records)
      counts.set(record.displayName, (counts.get(record.displayName) ?? 0) + 1);
    if (body.records.length < 100) return counts;
  }
}

it(`after ${CYCLES} kill -9 cycles with keyed requests in flight, every retry ends in the first outcome or a fresh run`, async () => {
  const env: Record<string, string> = {};
  const serverUrl = testDatabaseServerUrl();
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl);
    cleanups.push(() => scratch.drop());
    env.DATABASE_URL = scratch.url;
  } else {
    const dataDir = mkdtempSync(path.join(tmpdir(), "gw-crash-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    env.DATA_DIR = dataDir;
  }

  const figures = { inFlight: 0, replayed: 0, fresh: 0, conflicts: 0, takenOver: 0, duplicates: 0 };
  const acknowledged: Attempt[] = [];
  const unanswered: Attempt[] = [];
  let server = await startServer(env);
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    // Let some requests finish (a different number each cycle), then kill the process while
    // the others run.
    let kill = () => {};
    const stop = new Promise<void>((resolve) => {
      kill = resolve;
    });
    const killAfter = 10 + 7 * cycle;
    const killed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      void stop.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    const attempts = load(server.origin, cycle, stop, (answered) => {
      if (answered === killAfter) kill();
    });
    await killed;
    server.child.kill("SIGKILL");
    kill();
    await server.exited;
    const killedAt = Date.now();
    const done = await attempts;
    acknowledged.push(...done.filter((a) => a.status !== undefined));
    const lost = done.filter((a) => a.status === undefined);
    unanswered.push(...lost);
    figures.inFlight += lost.length;

    server = await startServer(env);
    // Claims of the killed process hold until their lease ends (on the database's clock).
    const wait = killedAt + LEASE_SECONDS * 1000 + 500 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (const attempt of lost) {
      const response = await create(server.origin, attempt);
      const body = (await response.json()) as { record?: { id: string }; error?: { code: string } };
      if (response.status === 409) figures.conflicts++;
      else if (response.headers.get("idempotent-replayed") === "true") figures.replayed++;
      else figures.fresh++;
      expect(response.status, `${attempt.key}: ${JSON.stringify(body)}`).toBe(201);
      attempt.status = response.status;
      attempt.id = body.record?.id;
    }
    figures.takenOver += (server.output().match(/idempotency claim taken over/g) ?? []).length;
  }

  // Acknowledged requests replay exactly what they answered; retried ones now replay their retry.
  for (const attempt of [...acknowledged, ...unanswered]) {
    const response = await create(server.origin, attempt);
    const body = (await response.json()) as { record?: { id: string } };
    expect(response.status, attempt.key).toBe(attempt.status);
    expect(response.headers.get("idempotent-replayed"), attempt.key).toBe("true");
    expect(body.record?.id, attempt.key).toBe(attempt.id);
  }
  // A fresh run after a takeover whose first run had committed makes a second record: counted.
  const names = await namesOnServer(server.origin);
  for (const attempt of [...acknowledged, ...unanswered]) {
    expect(names.get(attempt.name) ?? 0, attempt.key).toBeGreaterThanOrEqual(1);
    if ((names.get(attempt.name) ?? 0) > 1) figures.duplicates++;
  }
  console.log(`crash-idempotency (${serverUrl ? "postgresql" : "embedded"}), ${CYCLES} cycles:`, {
    acknowledged: acknowledged.length,
    ...figures,
  });
  expect(figures.conflicts).toBe(0);
  // The kills did catch claims in flight, so the takeover path ran.
  expect(figures.takenOver).toBeGreaterThan(0);
  server.child.kill("SIGTERM");
  await server.exited;
}, 600_000);
