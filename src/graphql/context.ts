// The per-request GraphQL context: who asks, the database, and this request's services.
import type { PrismaClient } from "../generated/prisma/client.js";
import { ApiKeyService } from "../identity/api-keys.service.js";
import { UserService } from "../identity/users.service.js";
import type { Viewer } from "../identity/viewer.js";

export type GraphQLContext = {
  viewer: Viewer;
  prisma: PrismaClient;
  requestId: string;
  services: ReturnType<typeof createServices>;
};

export function createServices(prisma: PrismaClient, viewer: Viewer) {
  return {
    users: new UserService(prisma, viewer),
    apiKeys: new ApiKeyService(prisma, viewer),
  };
}
