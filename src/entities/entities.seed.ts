// Demo entities for the demo organisation (src/demo/demo.seed.ts): suppliers, customers and a site.
import type { PrismaClient } from "../generated/prisma/client.js";
import { EntityStore } from "./entities.store.js";

export async function seedEntitiesDemo(prisma: PrismaClient, organizationId: string): Promise<void> {
  const store = EntityStore.of(prisma);
  for (const entity of [
    {
      type: "supplier",
      name: "Acme Chemicals",
      attributes: { country: "DE", qualification_status: "qualified" },
    },
    {
      type: "supplier",
      name: "Nordic Polymers",
      attributes: { country: "SE", qualification_status: "pending" },
    },
    {
      type: "supplier",
      name: "Lyon Solvents",
      attributes: { country: "FR", qualification_status: "conditional" },
    },
    { type: "customer", name: "Globex Manufacturing", attributes: { country: "US", tier: "enterprise" } },
    { type: "customer", name: "Initech", attributes: { country: "GB", tier: "standard" } },
    { type: "site", name: "Hamburg Plant", attributes: { country: "DE", city: "Hamburg" } },
  ]) {
    await store.insert({ ...entity, organizationId });
  }
}
