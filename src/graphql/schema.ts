// The one place the schema is assembled: import every domain's GraphQL types, then build.
import { builder } from "./builder.js";
import "../catalog/catalog.graphql.js";
import "../entities/entities.graphql.js";
import "../identity/identity.graphql.js";
import "../identity/groups.graphql.js";
import "../identity/users.graphql.js";
import "../projects/projects.graphql.js";
import "../audit/audit.graphql.js";
import "../records/records.graphql.js";
import "../semantic/semantic.graphql.js";
import "../tokens/tokens.graphql.js";

export const schema = builder.toSchema({ sortSchema: true });
