// `npm run build`: compiles src/ to dist/ (tsconfig.build.json) and copies the files tsc does
// not emit (the demo warehouse's worker, src/exec/warehouse-worker.mjs). `npm start` runs
// dist/server.js; `prestart` runs this first when dist/ is missing or older than src/.
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "src");
const dist = path.join(root, "dist");

/** Newest modification time under `dir` (0 when it does not exist). */
function newest(dir) {
  let latest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

if (process.argv.includes("--if-stale")) {
  const built = (() => {
    try {
      return statSync(path.join(dist, "server.js")).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (built > 0 && built >= newest(src)) process.exit(0);
}

const started = performance.now();
rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

function copyOthers(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyOthers(source, target);
    else if (!entry.name.endsWith(".ts")) cpSync(source, target);
  }
}
copyOthers(src, dist);
console.error(`build: src/ -> dist/ in ${Math.round(performance.now() - started)} ms`);
