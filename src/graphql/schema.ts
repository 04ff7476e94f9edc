// The one place the schema is assembled: import every domain's GraphQL types, then build.
import { builder } from "./builder.js";
import "../identity/identity.graphql.js";

export const schema = builder.toSchema({ sortSchema: true });
