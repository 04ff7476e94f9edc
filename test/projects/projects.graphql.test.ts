// Projects, members and users in the graph: connections with the REST filters, the relations
// Project.members → ProjectMember.user and User.projects without N+1, the mutations, tenancy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createKey,
  createOrg,
  createTestApp,
  globalId,
  gql,
  type TestApp,
  type TestOrg,
} from "../helpers/app.js";

let t: TestApp;
let acme: TestOrg;
let globex: TestOrg;
let userIds: string[];

// Counts the SQL statements the database was sent (by Prisma and the stores alike) while `run` runs.
async function countStatements<T>(run: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const before = t.db.statementCount();
  const result = await run();
  return { result, statements: t.db.statementCount() - before };
}

beforeAll(async () => {
  t = await createTestApp();
  acme = await createOrg(t.prisma, "Acme");
  globex = await createOrg(t.prisma, "Globex");
  userIds = [];
  for (const name of ["ann", "bob", "cat"]) {
    const user = await t.prisma.user.create({
      data: {
        organizationId: acme.id,
        email: `${name}@acme.example`,
        displayName: name,
        externalId: `ext-${name}`,
      },
    });
    userIds.push(user.id);
  }
});
afterAll(() => t.close());

const CREATE = `mutation ($input: CreateProjectInput!) { createProject(input: $input) { id projectId name externalId status } }`;
type Project = { id: string; projectId: string; name: string; externalId: string | null; status: string };

async function createProject(input: Record<string, unknown>, key = acme.key): Promise<Project> {
  const { body } = await gql<{ createProject: Project }>(t.app, key, CREATE, { input });
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data?.createProject as Project;
}

const SET = `mutation ($input: SetProjectMemberInput!) { setProjectMember(input: $input) { id role user { email } project { name } } }`;

describe("project mutations", () => {
  it("createProject, updateProject, archiveProject", async () => {
    const project = await createProject({ name: "Gemini", externalId: "g-1" });
    expect(project).toMatchObject({ name: "Gemini", externalId: "g-1", status: "ACTIVE" });
    expect(project.id).toBe(globalId("Project", project.projectId));
    const updated = await gql(
      t.app,
      acme.key,
      `mutation ($input: UpdateProjectInput!) { updateProject(input: $input) { name externalId description } }`,
      {
        input: { id: project.id, name: "Gemini II", externalId: null, description: "two" },
      },
    );
    expect(updated.body.data).toEqual({
      updateProject: { name: "Gemini II", externalId: null, description: "two" },
    });
    const archived = await gql(
      t.app,
      acme.key,
      `mutation ($input: ArchiveProjectInput!) { archiveProject(input: $input) { status archivedAt } }`,
      {
        input: { id: project.projectId },
      },
    );
    expect(archived.body.data).toMatchObject({
      archiveProject: { status: "ARCHIVED", archivedAt: expect.any(String) },
    });
  });

  it("setProjectMember and removeProjectMember; errors carry codes", async () => {
    const project = await createProject({ name: "Crew" });
    const set = await gql(t.app, acme.key, SET, {
      input: { projectId: project.id, userId: globalId("User", userIds[0] as string), role: "EDITOR" },
    });
    expect(set.body.data).toMatchObject({
      setProjectMember: { role: "EDITOR", user: { email: "ann@acme.example" }, project: { name: "Crew" } },
    });
    const removed = await gql(
      t.app,
      acme.key,
      `mutation ($input: RemoveProjectMemberInput!) { removeProjectMember(input: $input) { removedMemberId project { name } } }`,
      {
        input: { projectId: project.projectId, userId: userIds[0] },
      },
    );
    expect(removed.body.data).toMatchObject({ removeProjectMember: { project: { name: "Crew" } } });
    const lastOwner = await gql(
      t.app,
      acme.key,
      `mutation ($input: RemoveProjectMemberInput!) { removeProjectMember(input: $input) { removedMemberId } }`,
      {
        input: { projectId: project.projectId, userId: acme.ownerId },
      },
    );
    expect(lastOwner.body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const foreignUser = await gql(t.app, acme.key, SET, {
      input: { projectId: project.id, userId: globex.ownerId, role: "VIEWER" },
    });
    expect(foreignUser.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const dup = await gql(t.app, acme.key, CREATE, { input: { name: "x", externalId: "dup" } });
    expect(dup.body.errors).toBeUndefined();
    const again = await gql(t.app, acme.key, CREATE, { input: { name: "y", externalId: "dup" } });
    expect(again.body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const reader = await createKey(t.prisma, acme, { scopes: ["projects:read"] });
    const denied = await gql(t.app, reader, CREATE, { input: { name: "z" } });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("updateUserRole and updateUser", async () => {
    const role = await gql(
      t.app,
      acme.key,
      `mutation ($input: UpdateUserRoleInput!) { updateUserRole(input: $input) { role } }`,
      {
        input: { userId: globalId("User", userIds[1] as string), role: "ADMIN" },
      },
    );
    expect(role.body.data).toEqual({ updateUserRole: { role: "admin" } });
    const ext = await gql(
      t.app,
      acme.key,
      `mutation ($input: UpdateUserInput!) { updateUser(input: $input) { externalId role } }`,
      {
        input: { userId: userIds[1], externalId: "ext-bob-2" },
      },
    );
    expect(ext.body.data).toEqual({ updateUser: { externalId: "ext-bob-2", role: "admin" } });
    const dup = await gql(
      t.app,
      acme.key,
      `mutation ($input: UpdateUserInput!) { updateUser(input: $input) { externalId } }`,
      {
        input: { userId: userIds[2], externalId: "ext-bob-2" },
      },
    );
    expect(dup.body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const lastOwner = await gql(
      t.app,
      acme.key,
      `mutation ($input: UpdateUserRoleInput!) { updateUserRole(input: $input) { role } }`,
      {
        input: { userId: acme.ownerId, role: "MEMBER" },
      },
    );
    expect(lastOwner.body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });
});

describe("connections and relations", () => {
  let org: TestOrg;
  let members: string[];
  beforeAll(async () => {
    org = await createOrg(t.prisma, "Graph");
    members = [];
    for (const name of ["u1", "u2", "u3"]) {
      const user = await t.prisma.user.create({
        data: { organizationId: org.id, email: `${name}@g.example`, displayName: name },
      });
      members.push(user.id);
    }
    for (const name of ["p1", "p2", "p3", "p4"]) {
      const project = await createProject({ name, externalId: `x-${name}` }, org.key);
      for (const userId of members) {
        await gql(t.app, org.key, SET, { input: { projectId: project.id, userId, role: "VIEWER" } });
      }
    }
  });

  it("Query.projects filters like REST and counts; archived only when asked", async () => {
    const PROJECTS = `query ($externalId: String, $status: ProjectStatus, $includeArchived: Boolean) {
      projects(first: 10, externalId: $externalId, status: $status, includeArchived: $includeArchived) { totalCount edges { node { name } } }
    }`;
    type R = { projects: { totalCount: number; edges: Array<{ node: { name: string } }> } };
    const all = await gql<R>(t.app, org.key, PROJECTS);
    expect(all.body.data?.projects.totalCount).toBe(4);
    const one = await gql<R>(t.app, org.key, PROJECTS, { externalId: "x-p2" });
    expect(one.body.data?.projects.edges.map((e) => e.node.name)).toEqual(["p2"]);
    const p4 = await t.prisma.project.findFirstOrThrow({ where: { organizationId: org.id, name: "p4" } });
    await gql(
      t.app,
      org.key,
      `mutation ($input: ArchiveProjectInput!) { archiveProject(input: $input) { status } }`,
      { input: { id: p4.id } },
    );
    expect((await gql<R>(t.app, org.key, PROJECTS)).body.data?.projects.totalCount).toBe(3);
    expect(
      (await gql<R>(t.app, org.key, PROJECTS, { includeArchived: true })).body.data?.projects.totalCount,
    ).toBe(4);
    expect(
      (await gql<R>(t.app, org.key, PROJECTS, { status: "ARCHIVED" })).body.data?.projects.edges.map(
        (e) => e.node.name,
      ),
    ).toEqual(["p4"]);
  });

  it("Query.users filters by externalId and counts", async () => {
    const { body } = await gql<{
      users: { totalCount: number; edges: Array<{ node: { email: string; externalId: string } }> };
    }>(
      t.app,
      acme.key,
      `{ users(first: 10, externalId: "ext-ann") { totalCount edges { node { email externalId } } } }`,
    );
    expect(body.data?.users).toEqual({
      totalCount: 1,
      edges: [{ node: { email: "ann@acme.example", externalId: "ext-ann" } }],
    });
    const all = await gql<{ users: { totalCount: number } }>(t.app, org.key, `{ users { totalCount } }`);
    expect(all.body.data?.users.totalCount).toBe(4);
  });

  it("Project.members → user and User.projects resolve without a statement per row", async () => {
    const query = (n: number) => `{
      projects(first: ${n}) { edges { node { name members(first: 10) { totalCount edges { node { role user { email } } } } } } }
      users(first: ${n}) { edges { node { email projects { name } } } }
    }`;
    const small = await countStatements(() => gql(t.app, org.key, query(1)));
    expect(small.statements).toBeGreaterThan(0);
    const { result, statements } = await countStatements(() => gql(t.app, org.key, query(10)));
    expect(result.body.errors, JSON.stringify(result.body.errors)).toBeUndefined();
    const data = result.body.data as {
      projects: {
        edges: Array<{
          node: {
            name: string;
            members: { totalCount: number; edges: Array<{ node: { user: { email: string } } }> };
          };
        }>;
      };
      users: { edges: Array<{ node: { email: string; projects: Array<{ name: string }> } }> };
    };
    expect(data.projects.edges.length).toBeGreaterThanOrEqual(3);
    for (const edge of data.projects.edges) expect(edge.node.members.totalCount).toBe(4);
    const u1 = data.users.edges.find((e) => e.node.email === "u1@g.example");
    expect(u1?.node.projects.map((p) => p.name)).toEqual(expect.arrayContaining(["p1", "p2", "p3"]));
    // A page of 3 projects × 4 members and 4 users costs what a page of one does.
    expect(statements).toBe(small.statements);
    expect(statements).toBeLessThanOrEqual(20);
  });

  it("node(id:) of another organisation's project or member is null", async () => {
    const foreign = await t.prisma.project.findFirstOrThrow({ where: { organizationId: org.id } });
    const member = await t.prisma.projectMember.findFirstOrThrow({ where: { projectId: foreign.id } });
    for (const id of [
      globalId("Project", foreign.id),
      globalId("ProjectMember", member.id),
      globalId("Project", "nope"),
    ]) {
      const { body } = await gql(t.app, acme.key, `query ($id: ID!) { node(id: $id) { id } }`, { id });
      expect(body).toEqual({ data: { node: null } });
    }
    const own = await gql(t.app, org.key, `query ($id: ID!) { node(id: $id) { ... on Project { name } } }`, {
      id: globalId("Project", foreign.id),
    });
    expect(own.body.data).toEqual({ node: { name: foreign.name } });
  });
});
