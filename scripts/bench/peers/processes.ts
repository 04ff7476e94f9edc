// Each server of the peer bench runs in a child process of its own (its own event loop), on
// 127.0.0.1 at a free port; the load generator stays in the bench process.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export type Child = {
  name: string;
  url: string;
  pid: number;
  /** Why the process is gone, when it exited before stop(). */
  exited(): string | null;
  /** Resident set size and its peak (VmRSS, VmHWM), in MB; null once the process is gone. */
  memory(): { rssMb: number; peakMb: number } | null;
  /** The last lines it wrote, for error reports. */
  output(): string;
  stop(): Promise<void>;
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === "string") throw new Error("no free port");
  return address.port;
}

function memoryOf(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { rssMb: Math.round(kb("VmRSS") / 1024), peakMb: Math.round(kb("VmHWM") / 1024) };
  } catch {
    return null;
  }
}

/**
 * Starts `command args` with PORT set and waits until `ready(url)` resolves true (polled), or
 * throws with the child's output after `timeoutMs`.
 */
export async function startChild(options: {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  ready: (url: string) => Promise<boolean>;
  timeoutMs?: number;
}): Promise<Child> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...options.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exit: string | null = null;
  const exitedPromise = new Promise<void>((resolve) =>
    child.on("exit", (code, signal) => {
      exit = `${options.name} exited (${signal ?? `code ${code}`})`;
      resolve();
    }),
  );
  const handle: Child = {
    name: options.name,
    url,
    pid: child.pid ?? -1,
    exited: () => exit,
    memory: () => (exit ? null : memoryOf(child.pid ?? -1)),
    output: () => output,
    async stop() {
      if (exit) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exit) break;
    if (await options.ready(url).catch(() => false)) return handle;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await handle.stop();
  throw new Error(`${options.name} did not come up on ${url}: ${exit ?? "timed out"}\n${output}`);
}
