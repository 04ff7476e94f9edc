// A module change made through one instance is in the typed schema of the next request to
// another instance on the same PostgreSQL database (issue 12): the version lives in the database
// and the change feed drops every instance's cached modules and schema of that organisation.
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { createOrg, gql, type Json } from "../helpers/app.js";
import { createScratchDatabase, testDatabaseServerUrl } from "../helpers/database.js";

const FIELDS = `{ slug: "title", label: "Title", type: TEXT }`;

describe.skipIf(!testDatabaseServerUrl())("two instances on one PostgreSQL database", () => {
  it("the next request to the other instance runs against the changed module", async () => {
    const scratch = await createScratchDatabase(testDatabaseServerUrl()!);
    const quiet = { info() {}, warn() {} };
    const config = loadConfig({ DEMO_DATA: "false", LOG_LEVEL: "silent" });
    const dbA = await openDatabase({ url: scratch.url, logger: quiet, poolSize: 2 });
    const dbB = await openDatabase({ url: scratch.url, logger: quiet, poolSize: 2 });
    const a = await buildApp({ config, db: dbA, logger: false });
    const b = await buildApp({ config, db: dbB, logger: false });
    try {
      const org = await createOrg(dbA.prisma, "Two");
      const onA = (query: string) => gql<Json>(a, org.key, query);
      const onB = (query: string) => gql<Json>(b, org.key, query);
      const made = await onA(
        `mutation { createModule(input: { slug: "tasks", name: "Tasks", fields: [${FIELDS}] }) { typeName } }`,
      );
      expect(made.body.data.createModule.typeName).toBe("Task");
      // B builds and caches the schema of this version.
      expect((await onB(`{ tasks { totalCount edges { node { title } } } }`)).body.errors).toBeUndefined();
      expect((await onB(`{ tasks { edges { node { done } } } }`)).body.errors?.[0]?.message).toMatch(
        /Cannot query field "done"/,
      );
      const changed = await onA(
        `mutation { updateModule(input: { slug: "tasks", fields: [${FIELDS}, { slug: "done", label: "Done", type: BOOLEAN }] }) { fields { graphqlName } } }`,
      );
      expect(changed.body.errors).toBeUndefined();
      const created = await onA(`mutation { createTask(input: { title: "Write", done: true }) { done } }`);
      expect(created.body.data).toEqual({ createTask: { done: true } });
      // The very next request to B, with no wait.
      const seen = await onB(
        `{ tasks(filter: { done: { eq: true } }) { totalCount edges { node { title done } } } }`,
      );
      expect(seen.body.errors).toBeUndefined();
      expect(seen.body.data.tasks).toEqual({
        totalCount: 1,
        edges: [{ node: { title: "Write", done: true } }],
      });
      // And a deleted module's types are gone from B's next request too.
      await onA(`mutation { deleteModule(input: { slug: "tasks" }) { slug } }`);
      expect((await onB(`{ tasks { totalCount } }`)).body.errors?.[0]?.message).toMatch(
        /Cannot query field "tasks"/,
      );
    } finally {
      await a.close();
      await b.close();
      await dbA.close();
      await dbB.close();
      await scratch.drop();
    }
  }, 60_000);
});
