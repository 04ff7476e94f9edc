// Foundation: authenticated GraphQL and REST round trips (auth lookup + one query each).
import { createOrganization } from "../../src/identity/organizations.service.js";
import { type BenchResult, load, startBenchServer } from "./harness.js";

export async function run(): Promise<BenchResult[]> {
  const server = await startBenchServer();
  try {
    const org = await createOrganization(server.db.prisma, { name: "Bench" });
    const headers = { authorization: `Bearer ${org.ownerKey.secret}`, "content-type": "application/json" };
    const graphql = await load({
      url: `${server.url}/graphql`,
      method: "POST",
      headers,
      body: JSON.stringify({
        query: "{ viewer { organization { id name } user { id displayName } scopes } }",
      }),
    });
    const rest = await load({ url: `${server.url}/v1/users`, headers });
    const db = server.db.kind;
    return [
      {
        name: `graphql viewer query (${db})`,
        value: Math.round(graphql.requestsPerSecond),
        unit: "req/s",
        note: `p50 ${graphql.p50} ms, p99 ${graphql.p99} ms, non-2xx ${graphql.non2xx}`,
      },
      {
        name: `GET /v1/users (${db})`,
        value: Math.round(rest.requestsPerSecond),
        unit: "req/s",
        note: `p50 ${rest.p50} ms, p99 ${rest.p99} ms, non-2xx ${rest.non2xx}`,
      },
    ];
  } finally {
    await server.close();
  }
}
