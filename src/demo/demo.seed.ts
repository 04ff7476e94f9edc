// On first start with an empty database: a demo organisation with demo data for every domain.
// With BOOTSTRAP_API_KEY set, that exact key is (made) an owner key of the demo organisation.
import { seedCatalogDemo } from "../catalog/catalog.seed.js";
import { seedEntitiesDemo } from "../entities/entities.seed.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { hashApiKeySecret } from "../identity/api-key-secret.js";
import { issueApiKey } from "../identity/api-keys.service.js";
import { createOrganization } from "../identity/organizations.service.js";
import { ALL_SCOPES } from "../identity/scopes.js";
import { seedProjectsDemo } from "../projects/projects.seed.js";
import { seedRecordsDemo } from "../records/records.seed.js";
import { seedSemanticDemo } from "../semantic/semantic.seed.js";

export type SeedResult =
  | { created: true; organizationId: string; ownerKey: string; keyFromEnvironment: boolean }
  | { created: false; organizationId: string | null; bootstrapKeyAdded: boolean };

export const DEMO_ORGANIZATION_NAME = "Demo Organization";

export async function seedDemo(prisma: PrismaClient, bootstrapApiKey?: string): Promise<SeedResult> {
  const existing = await prisma.organization.count();
  if (existing === 0) {
    const created = await createOrganization(
      prisma,
      { name: DEMO_ORGANIZATION_NAME, ownerEmail: "sarah.chen@demo.example", ownerName: "Sarah Chen" },
      { isDemo: true, ownerKeySecret: bootstrapApiKey },
    );
    const organizationId = created.organization.id;
    await prisma.user.createMany({
      data: [
        { organizationId, email: "mike.johnson@demo.example", displayName: "Mike Johnson", role: "admin" },
        {
          organizationId,
          email: "priya.natarajan@demo.example",
          displayName: "Priya Natarajan",
          role: "member",
        },
        { organizationId, email: "tom.becker@demo.example", displayName: "Tom Becker", role: "member" },
      ],
    });
    await seedRecordsDemo(prisma, organizationId, created.owner.id);
    await seedEntitiesDemo(prisma, organizationId);
    await seedProjectsDemo(prisma, organizationId);
    await seedCatalogDemo(prisma, organizationId, created.owner.id);
    await seedSemanticDemo(prisma, organizationId, created.owner.id);
    return {
      created: true,
      organizationId,
      ownerKey: created.ownerKey.secret,
      keyFromEnvironment: Boolean(bootstrapApiKey),
    };
  }

  const demo = await prisma.organization.findFirst({
    where: { isDemo: true },
    orderBy: { createdAt: "asc" },
  });
  if (!bootstrapApiKey || !demo)
    return { created: false, organizationId: demo?.id ?? null, bootstrapKeyAdded: false };
  const known = await prisma.apiKey.findUnique({ where: { secretHash: hashApiKeySecret(bootstrapApiKey) } });
  if (known) return { created: false, organizationId: demo.id, bootstrapKeyAdded: false };
  const owner = await prisma.user.findFirst({
    where: { organizationId: demo.id, role: "owner" },
    orderBy: { createdAt: "asc" },
  });
  if (!owner) return { created: false, organizationId: demo.id, bootstrapKeyAdded: false };
  await issueApiKey(prisma, {
    organizationId: demo.id,
    userId: owner.id,
    name: "Bootstrap key (BOOTSTRAP_API_KEY)",
    scopes: [ALL_SCOPES],
    canActForUsers: true,
    secret: bootstrapApiKey,
  });
  return { created: false, organizationId: demo.id, bootstrapKeyAdded: true };
}
