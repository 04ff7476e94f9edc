// Organisations are created by the admin CLI and by the demo seed, never over the API: an API
// key is always inside one organisation.
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import { parseInput } from "../validation.js";
import { type CreatedApiKey, issueApiKey } from "./api-keys.service.js";
import { CreateOrganizationInput } from "./identity.inputs.js";
import { ALL_SCOPES } from "./scopes.js";

export type CreatedOrganization = {
  organization: { id: string; name: string };
  owner: { id: string; email: string; displayName: string };
  ownerKey: CreatedApiKey;
};

export async function createOrganization(
  prisma: PrismaClient,
  input: CreateOrganizationInput,
  options: { isDemo?: boolean; ownerKeySecret?: string } = {},
): Promise<CreatedOrganization> {
  return prisma.$transaction((tx) => createOrganizationIn(tx, input, options));
}

/** The same, inside a transaction the caller holds (the demo seed's, under its lock). */
export async function createOrganizationIn(
  tx: Prisma.TransactionClient,
  input: CreateOrganizationInput,
  options: { isDemo?: boolean; ownerKeySecret?: string } = {},
): Promise<CreatedOrganization> {
  const data = parseInput(CreateOrganizationInput, input);
  const organization = await tx.organization.create({
    data: { name: data.name, isDemo: options.isDemo ?? false },
  });
  const owner = await tx.user.create({
    data: {
      organizationId: organization.id,
      email: (data.ownerEmail ?? `owner@${slug(data.name)}.example`).toLowerCase(),
      displayName: data.ownerName ?? `${data.name} Owner`,
      role: "owner",
    },
  });
  const ownerKey = await issueApiKey(tx, {
    organizationId: organization.id,
    userId: owner.id,
    name: "Owner key",
    scopes: [ALL_SCOPES],
    canActForUsers: true,
    secret: options.ownerKeySecret,
  });
  return {
    organization: { id: organization.id, name: organization.name },
    owner: { id: owner.id, email: owner.email, displayName: owner.displayName },
    ownerKey,
  };
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "org"
  );
}
