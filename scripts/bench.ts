// `npm run bench [-- <name-filter>]`: runs every scripts/bench/*.bench.ts in turn and prints
// its results. Set BENCH_DATABASE_URL to measure on PostgreSQL instead of embedded PGlite.
import { readdirSync } from "node:fs";
import os from "node:os";
import type { BenchResult } from "./bench/harness.js";

const filter = process.argv[2];
const dir = new URL("./bench/", import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => !filter || f.includes(filter))
  .sort();

console.log(
  `# ${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"} · Node ${process.version}`,
);
for (const file of files) {
  const module = (await import(new URL(file, dir).href)) as { run(): Promise<BenchResult[]> };
  console.log(`\n## ${file}`);
  for (const result of await module.run()) {
    console.log(`- ${result.name}: ${result.value} ${result.unit}${result.note ? ` (${result.note})` : ""}`);
  }
}
process.exit(0);
