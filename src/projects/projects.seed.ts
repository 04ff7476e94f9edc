// Demo projects with members for the demo organisation (src/demo/demo.seed.ts), each with its
// @Project Hub folder (the archived one's is hidden until it is restored).
import { createProjectFolder } from "../catalog/catalog.projects.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { ProjectStore } from "./projects.store.js";

export async function seedProjectsDemo(prisma: PrismaClient, organizationId: string): Promise<void> {
  const store = ProjectStore.of(prisma);
  const [owner, ...others] = await store.organizationUserIds(organizationId);
  if (!owner) return;
  const projects: Array<{ name: string; description: string; externalId: string; status?: string }> = [
    { name: "Supplier onboarding", description: "Qualify the new polymer suppliers", externalId: "PRJ-1001" },
    {
      name: "Q3 board pack",
      description: "Figures and narrative for the Q3 board meeting",
      externalId: "PRJ-1002",
    },
    {
      name: "Legacy ERP migration",
      description: "Finished; kept for reference",
      externalId: "PRJ-0907",
      status: "archived",
    },
  ];
  const roles = ["editor", "viewer", "editor"] as const;
  for (const [index, project] of projects.entries()) {
    await store.transaction(async (inTx, tx) => {
      const created = await inTx.insertWithOwner({
        organizationId,
        name: project.name,
        description: project.description,
        externalId: project.externalId,
        ownerId: owner,
        status: project.status,
        archived: project.status === "archived",
      });
      for (const [i, userId] of others.filter((_, n) => (n + index) % 2 === 0).entries()) {
        await inTx.insertMember({
          organizationId,
          projectId: created.id,
          userId,
          role: roles[i % roles.length] ?? "viewer",
        });
      }
      await createProjectFolder(tx, created);
    });
  }
}
