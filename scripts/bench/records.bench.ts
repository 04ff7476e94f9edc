// Records: 100 000 records in one module, then REST, GraphQL and a raw-SQL baseline (pg, no
// app) side by side for a filtered, custom-sorted page of 25, a get by id and a create. Each
// workload runs on one connection for a fixed time (sequential requests: latency, not
// saturation); HTTP load goes to 127.0.0.1 only.
import os from "node:os";
import pg from "pg";
import { createOrganization } from "../../src/identity/organizations.service.js";
import { Viewer } from "../../src/identity/viewer.js";
import { ModuleService } from "../../src/records/modules.service.js";
import { type BenchResult, load, startBenchServer } from "./harness.js";

const RECORDS = 100_000;
const SECONDS = 4;

const FILTER = {
  root: {
    conjunction: "AND",
    conditions: [
      { fieldSlug: "status", operator: "eq", value: "active" },
      { fieldSlug: "priority", operator: "in", values: ["high", "medium"] },
      { fieldSlug: "deal_value", operator: "gte", value: 50000 },
    ],
  },
};

/** The filter (REST or GraphQL form) with another bound on deal_value. */
function withBound<T extends { conditions?: unknown[]; root?: { conditions: unknown[] } }>(
  filter: T,
  bound: number,
): T {
  const replace = (conditions: unknown[]) =>
    conditions.map((c) =>
      (c as { fieldSlug: string }).fieldSlug === "deal_value" ? { ...(c as object), value: bound } : c,
    );
  return filter.root
    ? { ...filter, root: { ...filter.root, conditions: replace(filter.root.conditions) } }
    : { ...filter, conditions: replace(filter.conditions ?? []) };
}

const PAGE_COLUMNS = `r.id, r.display_name, r.fields, r.label_ids, r.type_ids, r.privacy_level, r.version,
  r.created_by_id, r.updated_by_id, r.created_at, r.updated_at`;
const DEAL_VALUE = `(CASE WHEN jsonb_typeof(r.fields -> 'deal_value') = 'number' THEN (r.fields ->> 'deal_value')::numeric END)`;
/** The filter as plain SQL; $3 is the deal_value bound. */
const RAW_WHERE = `r.organization_id = $1 AND r.module_id = $2 AND r.deleted_at IS NULL
  AND r.fields @> '{"status":"active"}' AND (r.fields @> '{"priority":"high"}' OR r.fields @> '{"priority":"medium"}')
  AND ${DEAL_VALUE} >= $3`;
const RAW_PAGE_OF_25 = `SELECT ${PAGE_COLUMNS} FROM records r WHERE ${RAW_WHERE}
  ORDER BY ${DEAL_VALUE} DESC NULLS LAST, r.id DESC LIMIT 25`;

/** The page and its exact total as a hand-written service would send them: count + page. */
const RAW_PAGE = `
  SELECT t.total, p.* FROM (SELECT count(*)::int AS total FROM records r WHERE ${RAW_WHERE}) t
  LEFT JOIN LATERAL (${RAW_PAGE_OF_25}) p ON TRUE`;

/**
 * The statement shape the app sends when it knows the total at the module's current data
 * version ($4, $5): the count only runs if the version moved (src/records/record-totals.ts).
 */
const RAW_PAGE_VERSION_CHECKED = `
  SELECT t.*, p.* FROM (
    SELECT s.data_version::text AS version,
      CASE WHEN s.data_version = $4::bigint THEN $5::int
        ELSE (SELECT count(*)::int FROM records r WHERE ${RAW_WHERE}) END AS total
    FROM (VALUES (1)) AS one (x) LEFT JOIN record_module_stats s ON s.module_id = $2) t
  LEFT JOIN LATERAL (${RAW_PAGE_OF_25}) p ON TRUE`;

type Figures = { p50: number; p99: number; requestsPerSecond: number; failures: number };

/** Sequential calls of `fn` for `seconds`: latency percentiles and throughput. */
async function loop(fn: (i: number) => Promise<unknown>, seconds = SECONDS): Promise<Figures> {
  const times: number[] = [];
  let failures = 0;
  const started = performance.now();
  for (let i = 0; performance.now() - started < seconds * 1000; i++) {
    const t0 = performance.now();
    try {
      await fn(i);
    } catch {
      failures += 1;
    }
    times.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const at = (q: number) => round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
  return { p50: at(0.5), p99: at(0.99), requestsPerSecond: Math.round(times.length / elapsed), failures };
}

const round = (n: number) => Math.round(n * 100) / 100;

async function http(options: Parameters<typeof load>[0]): Promise<Figures> {
  const r = await load({ seconds: SECONDS, connections: 1, ...options });
  return {
    p50: r.p50,
    p99: r.p99,
    requestsPerSecond: Math.round(r.requestsPerSecond),
    failures: r.errors + r.non2xx,
  };
}

export async function run(): Promise<BenchResult[]> {
  const server = await startBenchServer();
  const raw = new pg.Pool({ connectionString: server.db.url, max: 1 });
  try {
    const prisma = server.db.prisma;
    const org = await createOrganization(prisma, { name: "Records bench" });
    const orgId = org.organization.id;
    await prisma.apiKey.updateMany({
      where: { organizationId: orgId },
      data: { rateLimitPerMinute: 100_000_000 },
    });
    const owner = await prisma.user.findUniqueOrThrow({ where: { id: org.owner.id } });
    const modules = new ModuleService(prisma, Viewer.system({ id: orgId, name: "Records bench" }, owner));
    const module = await modules.create({
      slug: "deals",
      name: "Deals",
      fields: [
        { slug: "name", label: "Name", type: "text", required: true },
        {
          slug: "status",
          label: "Status",
          type: "select",
          required: false,
          options: ["lead", "active", "won", "lost"],
        },
        {
          slug: "priority",
          label: "Priority",
          type: "select",
          required: false,
          options: ["low", "medium", "high"],
        },
        { slug: "deal_value", label: "Value", type: "currency", required: false },
        { slug: "close_date", label: "Close date", type: "date", required: false },
      ],
    });

    const loadStarted = performance.now();
    await prisma.$executeRaw`
      INSERT INTO records (id, organization_id, module_id, display_name, display_name_auto, fields,
        label_ids, type_ids, privacy_level, created_by_id, updated_by_id, version, created_at, updated_at)
      SELECT gen_random_uuid(), ${orgId}::uuid, ${module.id}::uuid, 'Deal ' || g, true,
        jsonb_build_object('name', 'Deal ' || g,
          'status', (ARRAY['lead','active','won','lost'])[1 + g % 4],
          'priority', (ARRAY['low','medium','high'])[1 + (g / 4) % 3],
          'deal_value', (g * 7919) % 100000,
          'close_date', to_char(date '2024-01-01' + (g % 365), 'YYYY-MM-DD')),
        '{}', '{}', 'account', ${owner.id}::uuid, ${owner.id}::uuid, 1,
        now() - make_interval(secs => g), now() - make_interval(secs => g)
      FROM generate_series(1, ${RECORDS}::int) AS g`;
    await prisma.$executeRawUnsafe("ANALYZE records");
    const loadSeconds = round((performance.now() - loadStarted) / 1000);

    const [sample] = await prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM records WHERE module_id = ${module.id}::uuid ORDER BY created_at DESC LIMIT 1 OFFSET 5000`;
    const recordId = sample!.id;
    const headers = { authorization: `Bearer ${org.ownerKey.secret}`, "content-type": "application/json" };
    const rest = `${server.url}/v1/modules/deals/records`;
    const graphql = (query: string, variables: Record<string, unknown> = {}) =>
      JSON.stringify({ query, variables });
    const gqlFilter = {
      conjunction: "AND",
      conditions: [
        { fieldSlug: "status", operator: "EQ", value: "active" },
        { fieldSlug: "priority", operator: "IN", values: ["high", "medium"] },
        { fieldSlug: "deal_value", operator: "GTE", value: 50000 },
      ],
    };
    const createBody = { fields: { name: "Bench deal", status: "lead", priority: "low", deal_value: 1200 } };

    const figures: Array<[string, string, Figures & { load: string }]> = [];
    const measure = async (workload: string, surface: string, run: () => Promise<Figures>) => {
      const before = os.loadavg()[0]!;
      const f = await run();
      figures.push([
        workload,
        surface,
        { ...f, load: `${before.toFixed(1)}→${os.loadavg()[0]!.toFixed(1)}` },
      ]);
    };

    // The answer first: the REST page must agree with a plain count of the same filter.
    const pageQuery = (bound: number) =>
      new URLSearchParams({
        advancedFilter: JSON.stringify(withBound(FILTER, bound)),
        sortField: "deal_value",
        sortDirection: "desc",
        pageSize: "25",
      });
    const [{ total: expected }] = (await raw.query(RAW_PAGE, [orgId, module.id, 50000])).rows;
    const answer = (await (await fetch(`${rest}?${pageQuery(50000)}`, { headers })).json()) as {
      total: number;
      records: unknown[];
    };
    if (answer.total !== expected || answer.records.length !== 25) {
      throw new Error(`REST page answered total ${answer.total}, raw count ${expected}`);
    }

    const pageQl = (bound: number) =>
      graphql(
        `query($filter: RecordFilter) { module(slug: "deals") { records(first: 25, filter: $filter,
          orderBy: [{ field: "deal_value", direction: DESC }]) { totalCount edges { node {
          recordId displayName fields labelIds typeIds privacyLevel version createdAt updatedAt } } } } }`,
        { filter: withBound(gqlFilter, bound) },
      );
    // Repeated: the module has not changed since the first request counted, so the total comes
    // from the version check. The raw baseline sends that same statement shape.
    const repeated = "page of 25, 3-condition filter, sort by deal_value, same request repeated";
    await measure(repeated, "REST", () => http({ url: `${rest}?${pageQuery(50000)}`, headers }));
    await measure(repeated, "GraphQL", () =>
      http({ url: `${server.url}/graphql`, method: "POST", headers, body: pageQl(50000) }),
    );
    const [{ data_version: version }] = (
      await raw.query("SELECT data_version::text FROM record_module_stats WHERE module_id = $1", [module.id])
    ).rows;
    await measure(repeated, "raw SQL", () =>
      loop(() => raw.query(RAW_PAGE_VERSION_CHECKED, [orgId, module.id, 50000, version, expected])),
    );
    // A new bound on deal_value for every request: each total is counted (the cold path, also
    // what the first list after any write to the module pays).
    const counted = "page of 25, 3-condition filter, sort by deal_value, new bound each request";
    // Disjoint bounds per surface: a surface never reuses a total another one counted.
    const bound = (surface: number, i: number) => 49999 - surface * 1000 - (i % 1000);
    await measure(counted, "REST", () =>
      http({
        url: `${rest}?${pageQuery(50000)}`,
        headers,
        vary: (i) => ({ path: `/v1/modules/deals/records?${pageQuery(bound(0, i))}` }),
      }),
    );
    await measure(counted, "GraphQL", () =>
      http({
        url: `${server.url}/graphql`,
        method: "POST",
        headers,
        body: pageQl(50000),
        vary: (i) => ({ body: pageQl(bound(1, i)) }),
      }),
    );
    await measure(counted, "raw SQL", () =>
      loop((i) => raw.query(RAW_PAGE, [orgId, module.id, bound(2, i)])),
    );

    const get = "get by id";
    await measure(get, "REST", () => http({ url: `${rest}/rec_${recordId}`, headers }));
    await measure(get, "GraphQL", () =>
      http({
        url: `${server.url}/graphql`,
        method: "POST",
        headers,
        body: graphql(
          `query($id: ID!) { node(id: $id) { ... on Record { recordId displayName fields labelIds typeIds
            privacyLevel version createdAt updatedAt } } }`,
          { id: Buffer.from(`Record:${recordId}`).toString("base64") },
        ),
      }),
    );
    await measure(get, "raw SQL", () =>
      loop(() =>
        raw.query("SELECT * FROM records WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL", [
          recordId,
          orgId,
        ]),
      ),
    );

    const create = "create";
    await measure(create, "REST", () =>
      http({ url: rest, method: "POST", headers, body: JSON.stringify(createBody) }),
    );
    await measure(create, "GraphQL", () =>
      http({
        url: `${server.url}/graphql`,
        method: "POST",
        headers,
        body: graphql(
          `mutation($input: CreateRecordInput!) { createRecord(input: $input) { recordId version } }`,
          { input: { moduleSlug: "deals", ...createBody } },
        ),
      }),
    );
    await measure(create, "raw SQL", () =>
      loop(() =>
        raw.query(
          `INSERT INTO records (id, organization_id, module_id, display_name, display_name_auto, fields,
             label_ids, type_ids, created_by_id, updated_by_id)
           VALUES (gen_random_uuid(), $1, $2, 'Bench deal', true, $3, '{}', '{}', $4, $4) RETURNING *`,
          [orgId, module.id, JSON.stringify(createBody.fields), owner.id],
        ),
      ),
    );

    const db = server.db.kind;
    const results: BenchResult[] = [
      {
        name: `records: load ${RECORDS} records (INSERT … SELECT generate_series + ANALYZE) (${db})`,
        value: loadSeconds,
        unit: "s",
      },
    ];
    for (const [workload, surface, f] of figures) {
      const rawFigures = figures.find(([w, s]) => w === workload && s === "raw SQL")?.[2];
      const ratio =
        surface === "GraphQL" && rawFigures && rawFigures.p50 > 0
          ? `, GraphQL/raw p50 ${round(f.p50 / rawFigures.p50)}×`
          : "";
      results.push({
        name: `records ${workload}, ${surface} (${db})`,
        value: f.p50,
        unit: "ms p50",
        note: `p99 ${f.p99} ms, ${f.requestsPerSecond} req/s, ${f.failures} failed${ratio}, load average ${f.load}`,
      });
    }
    return results;
  } finally {
    await raw.end();
    await server.close();
  }
}
