// The typed graph's cost (issue 12): building the schema of an organisation with 20 modules of 30
// fields each (graphql-js types merged into the static schema, then validated as the first
// request would), and what the cached path adds to a request (the module snapshot from the
// process cache and the schema from the LRU). No database: the modules are synthetic.
import { performance } from "node:perf_hooks";
import { validateSchema } from "graphql";
import type { ChangeFeed } from "../../src/db/change-feed.js";
import { organizationSchema, staticSchema } from "../../src/graphql/organization-schema.js";
import { ModuleCache } from "../../src/records/module-cache.js";
import type { ModuleDef } from "../../src/records/modules.store.js";
import type { FieldDefinition } from "../../src/records/records.inputs.js";
import { buildTypedSchema } from "../../src/records/typed-schema.js";
import type { BenchResult } from "./harness.js";

const TYPES = [
  "text",
  "long_text",
  "number",
  "currency",
  "boolean",
  "date",
  "datetime",
  "email",
  "phone",
  "url",
] as const;

/** 20 modules of 30 fields: every field type, selects, and references between the modules. */
export function syntheticModules(count = 20, fieldsPerModule = 30): ModuleDef[] {
  return Array.from({ length: count }, (_, m) => {
    const fields: FieldDefinition[] = Array.from({ length: fieldsPerModule }, (_, f) => {
      const slug = `field_${f}`;
      if (f % 10 === 7)
        return {
          slug,
          label: slug,
          type: "select",
          required: false,
          options: ["Open", "In progress", "Done", "Won't fix"],
        };
      if (f % 10 === 8)
        return { slug, label: slug, type: "multi_select", required: false, options: ["a", "b", "c"] };
      if (f % 10 === 9)
        return {
          slug,
          label: slug,
          type: "reference",
          required: false,
          targetModuleSlug: `module_${(m + f) % count}`,
          relationshipType: f % 20 === 9 ? "many_to_one" : "many_to_many",
        };
      return { slug, label: slug, type: TYPES[f % TYPES.length]!, required: false };
    });
    return {
      id: `00000000-0000-4000-8000-${String(m).padStart(12, "0")}`,
      organizationId: "00000000-0000-4000-8000-000000000000",
      slug: `module_${m}`,
      name: `Module ${m}`,
      fields,
      displayFields: [],
      subtitleFields: [],
      createdAt: new Date(1_700_000_000_000 + m * 1000),
      updatedAt: new Date(1_700_000_000_000 + m * 1000),
    };
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export async function run(): Promise<BenchResult[]> {
  const builds: number[] = [];
  for (let i = 0; i < 40; i++) {
    const modules = syntheticModules(); // a new list each time: nothing cached by identity
    const start = performance.now();
    const schema = buildTypedSchema(staticSchema, modules);
    const errors = validateSchema(schema);
    builds.push(performance.now() - start);
    if (errors.length > 0) throw new Error(`invalid typed schema: ${errors[0]!.message}`);
  }
  builds.sort((a, b) => a - b);

  // The cached path: a live feed, a cached snapshot, a built schema in the LRU.
  const feed: ChangeFeed = { live: true, subscribe: () => () => {} };
  const cache = new ModuleCache(feed);
  const organizationId = "00000000-0000-4000-8000-000000000001";
  cache.set(organizationId, { version: 1, modules: syntheticModules() }, cache.begin());
  organizationSchema(organizationId, cache.get(organizationId)!);
  const iterations = 200_000;
  const start = performance.now();
  for (let i = 0; i < iterations; i++) organizationSchema(organizationId, cache.get(organizationId)!);
  const perRequestUs = ((performance.now() - start) / iterations) * 1000;

  return [
    {
      name: "typed schema build, 20 modules x 30 fields (p50)",
      value: Number(percentile(builds, 0.5).toFixed(1)),
      unit: "ms",
      note: `p90 ${percentile(builds, 0.9).toFixed(1)} ms, max ${builds[builds.length - 1]!.toFixed(1)} ms over ${builds.length} builds; target < 150 ms`,
    },
    {
      name: "typed schema, cached path per request",
      value: Number(perRequestUs.toFixed(3)),
      unit: "µs",
      note: "module snapshot from the process cache + schema from the LRU; target < 300 µs",
    },
  ];
}
