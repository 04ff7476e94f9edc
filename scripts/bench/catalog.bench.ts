// Catalog: paging through a folder of 10 000 children, and lookups/updates by path, measured
// over loopback HTTP (p50/p95 of sequential requests, each workload bounded in count and time).
import { CatalogService } from "../../src/catalog/catalog.service.js";
import { createOrganization } from "../../src/identity/organizations.service.js";
import { Viewer } from "../../src/identity/viewer.js";
import { type BenchResult, load, startBenchServer } from "./harness.js";

const CHILDREN = 10_000;
const MAX_REQUESTS = 200;
const MAX_MILLISECONDS = 10_000;

type Sample = { p50: number; p95: number; count: number; failures: number };

async function sample(request: (i: number) => Promise<Response>): Promise<Sample> {
  const times: number[] = [];
  let failures = 0;
  const started = performance.now();
  for (let i = 0; i < MAX_REQUESTS && performance.now() - started < MAX_MILLISECONDS; i++) {
    const t0 = performance.now();
    const response = await request(i);
    await response.arrayBuffer();
    times.push(performance.now() - t0);
    if (!response.ok) failures += 1;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0) * 100) / 100;
  return { p50: at(0.5), p95: at(0.95), count: times.length, failures };
}

function result(name: string, s: Sample): BenchResult {
  return {
    name,
    value: s.p50,
    unit: "ms p50",
    note: `p95 ${s.p95} ms over ${s.count} requests, ${s.failures} failed`,
  };
}

export async function run(): Promise<BenchResult[]> {
  const server = await startBenchServer();
  try {
    const prisma = server.db.prisma;
    const org = await createOrganization(prisma, { name: "Catalog bench" });
    const owner = await prisma.user.findUniqueOrThrow({ where: { id: org.owner.id } });
    const catalog = new CatalogService(
      prisma,
      Viewer.system({ id: org.organization.id, name: "Catalog bench" }, owner),
    );
    const big = await catalog.createFolder({ parentPath: "@Shared", name: "Big Folder" });
    for (let start = 0; start < CHILDREN; start += 1000) {
      await prisma.catalogItem.createMany({
        data: Array.from({ length: Math.min(1000, CHILDREN - start) }, (_, k) => {
          const name = `asset_${String(start + k).padStart(5, "0")}`;
          return {
            organizationId: org.organization.id,
            space: "@Shared",
            parentId: big.id,
            kind: "ASSET",
            type: "SQL_SCRIPT",
            name,
            path: `@Shared/Big Folder/${name}`,
            content: `SELECT ${start + k}`,
          };
        }),
      });
    }
    await catalog.createAsset({ parentPath: "@Shared", name: "hot", content: "SELECT 0" });

    const headers = { authorization: `Bearer ${org.ownerKey.secret}`, "content-type": "application/json" };
    const api = `${server.url}/api/v1/catalog`;
    const get = (path: string) => fetch(`${api}${path}`, { headers });

    const firstPage = await sample(() => get("/list/@Shared/Big%20Folder?limit=100"));
    const lastToken = Buffer.from(JSON.stringify(["ASSET", "asset_09899"])).toString("base64url");
    const lastPage = await sample(() => get(`/list/@Shared/Big%20Folder?limit=100&page_token=${lastToken}`));
    let walked = 0;
    const walkStarted = performance.now();
    let token: string | undefined;
    do {
      const response = await get(
        `/list/@Shared/Big%20Folder?limit=1000${token ? `&page_token=${token}` : ""}`,
      );
      const body = (await response.json()) as { data: unknown[]; next_page_token?: string };
      walked += body.data.length;
      token = body.next_page_token;
    } while (token);
    const walkMs = Math.round(performance.now() - walkStarted);
    const byPath = await sample((i) =>
      get(`/by-path/@Shared/Big%20Folder/asset_${String((i * 37) % CHILDREN).padStart(5, "0")}`),
    );
    const graphqlPage = await sample(() =>
      fetch(`${server.url}/graphql`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          query: `{ catalogItem(path: "@Shared/Big Folder") { ... on CatalogFolder { children(first: 100) { edges { node { name path etag } } pageInfo { hasNextPage } } } } }`,
        }),
      }),
    );
    let revision = 1;
    const updates = await sample(async (i) => {
      const response = await fetch(`${api}/assets/@Shared/hot`, {
        method: "PUT",
        headers: { ...headers, "if-match": `"${revision}"` },
        body: JSON.stringify({ content: `SELECT ${i}` }),
      });
      if (response.ok) revision += 1;
      return response;
    });
    const throughput = await load({
      url: `${api}/by-path/@Shared/Big%20Folder/asset_05000`,
      headers,
      seconds: 5,
      connections: 10,
    });

    const db = server.db.kind;
    return [
      result(`catalog list, first page of 100 of ${CHILDREN} children (${db})`, firstPage),
      result(`catalog list, page of 100 after child 9 900 (${db})`, lastPage),
      {
        name: `catalog list, all ${walked} children in pages of 1000 (${db})`,
        value: walkMs,
        unit: "ms total",
      },
      result(`catalog by-path lookup in a ${CHILDREN}-child folder (${db})`, byPath),
      result(`graphql children(first: 100) of a ${CHILDREN}-child folder (${db})`, graphqlPage),
      result(`catalog PUT asset with If-Match, sequential (${db})`, updates),
      {
        name: `catalog by-path lookup throughput, 10 connections (${db})`,
        value: Math.round(throughput.requestsPerSecond),
        unit: "req/s",
        note: `p50 ${throughput.p50} ms, p99 ${throughput.p99} ms, non-2xx ${throughput.non2xx}`,
      },
    ];
  } finally {
    await server.close();
  }
}
