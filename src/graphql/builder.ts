// Configures the Pothos schema builder: plugins, scalars and the context type. Types live in
// their domain's *.graphql.ts file; src/graphql/schema.ts imports them all.
import SchemaBuilder from "@pothos/core";
import DataloaderPlugin from "@pothos/plugin-dataloader";
import RelayPlugin from "@pothos/plugin-relay";
import { DateTimeResolver, JSONObjectResolver, JSONResolver } from "graphql-scalars";
import ConnectionLimitsPlugin, { MAX_PAGE_SIZE, pageSizeArgOptions } from "./connection-limits.js";
import type { GraphQLContext } from "./context.js";

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}>({
  plugins: [RelayPlugin, DataloaderPlugin, ConnectionLimitsPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    // Refused above the maximum by ConnectionLimitsPlugin, on every connection field.
    firstArgOptions: pageSizeArgOptions("first"),
    lastArgOptions: pageSizeArgOptions("last"),
  },
});

builder.addScalarType("DateTime", DateTimeResolver);
builder.addScalarType("JSON", JSONResolver);
builder.addScalarType("JSONObject", JSONObjectResolver);

builder.queryType({});
builder.mutationType({});
