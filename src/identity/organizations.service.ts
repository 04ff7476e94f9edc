// Organisations are created by the admin CLI and by the demo seed, never over the API: an API
// key is always inside one organisation.
import { Sql, sqlOf } from "../db/sql.js";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import { parseInput } from "../validation.js";
import { type CreatedApiKey, issueApiKey } from "./api-keys.service.js";
import { CreateOrganizationInput } from "./identity.inputs.js";
import { OrganizationStore, sqlInPrismaTransaction } from "./organizations.store.js";
import { ALL_SCOPES } from "./scopes.js";
import { UserStore } from "./users.store.js";

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
  return sqlOf(prisma).transaction((tx) => createOrganizationIn(tx, input, options));
}

/**
 * The same, inside a transaction the caller holds: a kernel transaction, or a Prisma one (the
 * demo seed's, under its lock).
 */
export async function createOrganizationIn(
  tx: Prisma.TransactionClient | Sql,
  input: CreateOrganizationInput,
  options: { isDemo?: boolean; ownerKeySecret?: string } = {},
): Promise<CreatedOrganization> {
  const data = parseInput(CreateOrganizationInput, input);
  const db = tx instanceof Sql ? tx : sqlInPrismaTransaction(tx);
  const organization = await new OrganizationStore(db).insert({
    name: data.name,
    isDemo: options.isDemo ?? false,
  });
  const owner = await new UserStore(db).insert(organization.id, {
    email: (data.ownerEmail ?? `owner@${slug(data.name)}.example`).toLowerCase(),
    displayName: data.ownerName ?? `${data.name} Owner`,
    role: "owner",
  });
  const ownerKey = await issueApiKey(db, {
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
