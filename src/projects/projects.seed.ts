// Demo projects with members for the demo organisation (src/demo/demo.seed.ts), each with its
// @Project Hub folder (the archived one's is hidden until it is restored).
import { createProjectFolder } from "../catalog/catalog.projects.js";
import type { PrismaClient } from "../generated/prisma/client.js";

export async function seedProjectsDemo(prisma: PrismaClient, organizationId: string): Promise<void> {
  const users = await prisma.user.findMany({ where: { organizationId }, orderBy: { createdAt: "asc" } });
  const [owner, ...others] = users;
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
    await prisma.$transaction(async (tx) => {
      const created = await tx.project.create({
        data: {
          organizationId,
          ...project,
          archivedAt: project.status === "archived" ? new Date() : null,
          members: {
            create: [
              { organizationId, userId: owner.id, role: "owner" },
              ...others
                .filter((_, i) => (i + index) % 2 === 0)
                .map((user, i) => ({
                  organizationId,
                  userId: user.id,
                  role: roles[i % roles.length] ?? "viewer",
                })),
            ],
          },
        },
      });
      await createProjectFolder(tx, created);
    });
  }
}
