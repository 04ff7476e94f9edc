// The per-request GraphQL context: who asks, and this request's services (which hold its
// DataLoaders). Resolvers reach data only through services: the context has no database client.
import { AuditService } from "../audit/audit.service.js";
import { CatalogService } from "../catalog/catalog.service.js";
import { EntityService } from "../entities/entities.service.js";
import { ConnectionService } from "../exec/connections.service.js";
import { ExecutionService } from "../exec/execution.service.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { ApiKeyService } from "../identity/api-keys.service.js";
import { GroupService } from "../identity/groups.service.js";
import { UserService } from "../identity/users.service.js";
import type { Viewer } from "../identity/viewer.js";
import { ProjectService } from "../projects/projects.service.js";
import { RecordService } from "../records/records.service.js";
import { SemanticService } from "../semantic/semantic.service.js";

export type GraphQLContext = {
  viewer: Viewer;
  requestId: string;
  services: ReturnType<typeof createServices>;
};

export function createServices(prisma: PrismaClient, viewer: Viewer) {
  return {
    users: new UserService(prisma, viewer),
    groups: new GroupService(prisma, viewer),
    entities: new EntityService(prisma, viewer),
    projects: new ProjectService(prisma, viewer),
    apiKeys: new ApiKeyService(prisma, viewer),
    audit: new AuditService(prisma, viewer),
    catalog: new CatalogService(prisma, viewer),
    records: new RecordService(prisma, viewer),
    connections: new ConnectionService(prisma, viewer),
    execution: new ExecutionService(prisma, viewer),
    semantic: new SemanticService(prisma, viewer),
  };
}
