// "yoga, constant": graphql-yoga with its defaults on node:http, answering the bench's get and page
// documents (workloads.ts) from one constant record and a constant page of 25. No database, no
// authentication: the cost of HTTP plus GraphQL execution alone, the ceiling for our GraphQL.
import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";

const record = {
  __typename: "Record",
  id: "UmVjb3JkOmNvbnN0YW50",
  recordId: "rec_00000000-0000-4000-8000-000000000000",
  displayName: "Deal 1",
  fields: { name: "Deal 1", status: "active", priority: "low", deal_value: 7919, close_date: "2024-01-02" },
  labelIds: [],
  typeIds: [],
  privacyLevel: "ACCOUNT",
  version: 1,
  createdAt: "2026-12-01T00:00:00.000Z",
  updatedAt: "2026-12-01T00:00:00.000Z",
};
const module = {
  id: "TW9kdWxlOmNvbnN0YW50",
  slug: "deals",
  name: "Deals",
  records: {
    totalCount: 100_000,
    edges: Array.from({ length: 25 }, (_, i) => ({ node: { ...record, displayName: `Deal ${i + 1}` } })),
  },
};

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    scalar DateTime
    scalar JSONObject
    enum PrivacyLevel { ACCOUNT TEAM PRIVATE }
    interface Node { id: ID! }
    type Record implements Node {
      id: ID!
      recordId: String!
      displayName: String!
      fields: JSONObject!
      labelIds: [String!]!
      typeIds: [String!]!
      privacyLevel: PrivacyLevel!
      version: Int!
      createdAt: DateTime!
      updatedAt: DateTime!
    }
    type RecordEdge { node: Record! }
    type RecordConnection { totalCount: Int! edges: [RecordEdge!]! }
    type Module implements Node { id: ID! slug: String! name: String! records(first: Int): RecordConnection! }
    type Query { node(id: ID!): Node module(slug: String!): Module }
  `,
  resolvers: {
    Node: { __resolveType: (node: { __typename: string }) => node.__typename },
    Query: { node: () => record, module: () => ({ __typename: "Module", ...module }) },
  },
});

createServer(createYoga({ schema, logging: false })).listen(Number(process.env.PORT), "127.0.0.1");
