// On first start with an empty database: a demo organisation with demo data for every domain.
// With BOOTSTRAP_API_KEY set, that exact key is (made) an owner key of the demo organisation.
import { seedCatalogDemo } from "../catalog/catalog.seed.js";
import { seedEntitiesDemo } from "../entities/entities.seed.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { hashApiKeySecret } from "../identity/api-key-secret.js";
import { issueApiKey } from "../identity/api-keys.service.js";
import { createOrganizationIn } from "../identity/organizations.service.js";
import { ALL_SCOPES } from "../identity/scopes.js";
import { seedProjectsDemo } from "../projects/projects.seed.js";
import { seedRecordsDemo } from "../records/records.seed.js";
import { seedSemanticDemo } from "../semantic/semantic.seed.js";

export type SeedResult =
  | { created: true; organizationId: string; ownerKey: string; keyFromEnvironment: boolean }
  | { created: false; organizationId: string | null; bootstrapKeyAdded: boolean };

export const DEMO_ORGANIZATION_NAME = "Demo Organization";

/** Arbitrary but fixed: serialises the "is the database empty?" check of starting servers. */
const DEMO_SEED_LOCK_KEY = 72_707_370;

/** Where the seed reports its phases (the server's logger; silent by default). */
export type SeedLogger = { info(fields: Record<string, unknown>, msg: string): void };
const silent: SeedLogger = { info() {} };

export async function seedDemo(
  prisma: PrismaClient,
  bootstrapApiKey?: string,
  log: SeedLogger = silent,
): Promise<SeedResult> {
  // Several servers may start together on one empty database: under the lock, only the first
  // finds it empty and creates the demo organisation; the others see it and move on.
  const created = await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${DEMO_SEED_LOCK_KEY}::bigint)`;
      if ((await tx.organization.count()) > 0) return null;
      return createOrganizationIn(
        tx,
        { name: DEMO_ORGANIZATION_NAME, ownerEmail: "sarah.chen@demo.example", ownerName: "Sarah Chen" },
        { isDemo: true, ownerKeySecret: bootstrapApiKey },
      );
    },
    { timeout: 60_000, maxWait: 60_000 },
  );
  if (created) {
    const organizationId = created.organization.id;
    const startedAt = performance.now();
    log.info({ organizationId }, "demo seed started");
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
    log.info(
      {
        organizationId,
        durationMs: Math.round(performance.now() - startedAt),
        counts: await demoCounts(prisma, organizationId),
      },
      "demo seed finished",
    );
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

/** What the demo organisation holds, for the start-up log. */
async function demoCounts(prisma: PrismaClient, organizationId: string): Promise<Record<string, number>> {
  const where = { organizationId };
  const [users, modules, records, entities, projects, catalogItems, connections, semanticModels] =
    await Promise.all([
      prisma.user.count({ where }),
      prisma.recordModule.count({ where }),
      prisma.moduleRecord.count({ where }),
      prisma.entity.count({ where }),
      prisma.project.count({ where }),
      prisma.catalogItem.count({ where }),
      prisma.dataConnection.count({ where }),
      prisma.semanticModel.count({ where }),
    ]);
  return { users, modules, records, entities, projects, catalogItems, connections, semanticModels };
}
