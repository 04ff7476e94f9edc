// Admin CLI: `npm run admin -- <command>`. Works on the same database as the server:
// DATABASE_URL, or the embedded one in DATA_DIR, through the running server's socket
// (DATA_DIR/.s.PGSQL.5432, src/db/embedded.ts) while a server holds it, or opened by the CLI
// itself when none does. Ids are taken as uuids or GraphQL global ids and printed both ways.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../config.js";
import { openDatabase } from "../db/database.js";
import { runningEmbeddedServer } from "../db/embedded.js";
import { anyId, globalId } from "../db/ids.js";
import { AppError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { schemaDocument } from "../graphql/schema-document.js";
import { ApiKeyService } from "../identity/api-keys.service.js";
import { createOrganization } from "../identity/organizations.service.js";
import { SCOPES } from "../identity/scopes.js";
import { UserService } from "../identity/users.service.js";
import { Viewer } from "../identity/viewer.js";
import { SemanticService } from "../semantic/semantic.service.js";
import { RefreshTokenService, type TokenSettings } from "../tokens/tokens.service.js";

const USAGE = `Usage: npm run admin -- <command> [options]   (add --json for machine-readable output)

  org create <name> [--owner-email E] [--owner-name N]   create an organisation, its owner and an owner key
  org list                                              list organisations
  user create --org ID --email E --name N [--role owner|admin|member]
  key create  --org ID --name N [--user ID] [--scopes a,b] [--expires ISO-DATE] [--act-for-users] [--rate-limit N]
  key list    --org ID
  key revoke  --org ID KEY_ID
  token create --org ID --user ID|EMAIL --name N [--expires-in-days N]   a public API refresh token (shown once)
  token list   --org ID [--user ID|EMAIL] [--include-rotated]
  token revoke --org ID TOKEN_ID                        revoke the token's family and its access tokens
  schema print --org ID                         the organisation's whole GraphQL schema (SDL), for codegen
  semantic import --org ID --connection NAME --file model.(json|yaml)   set a connection's semantic model

Ids (--org, --user, KEY_ID, TOKEN_ID) are uuids or GraphQL global ids; output shows both.
With the embedded database, the CLI goes through the running server's socket in DATA_DIR,
or opens DATA_DIR itself when no server runs.

Scopes: * (all), ${Object.keys(SCOPES).join(", ")}`;

class UsageError extends Error {}

const options = {
  org: { type: "string" },
  email: { type: "string" },
  name: { type: "string" },
  role: { type: "string" },
  user: { type: "string" },
  scopes: { type: "string" },
  expires: { type: "string" },
  "act-for-users": { type: "boolean" },
  "rate-limit": { type: "string" },
  connection: { type: "string" },
  file: { type: "string" },
  "owner-email": { type: "string" },
  "owner-name": { type: "string" },
  "expires-in-days": { type: "string" },
  "include-rotated": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

/** The uuid of an id given as a uuid or as a global id of `typename`; refuses anything else. */
function idOf(text: string, typename: string, what: string): string {
  const id = anyId(text, typename);
  if (!id)
    throw new UsageError(
      `${what} ${text} is neither a uuid nor a global id of ${/^[AEIOU]/.test(typename) ? "an" : "a"} ${typename}`,
    );
  return id;
}

/** `row` with `<field>GlobalId` beside each id field: the same id as GraphQL shows it. */
function withGlobalIds<T extends object>(row: T, fields: Record<string, string>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] = value;
    const typename = fields[key];
    if (typename && typeof value === "string") out[`${key}GlobalId`] = globalId(typename, value);
  }
  return out as T;
}

async function systemViewer(prisma: PrismaClient, org: string | undefined): Promise<Viewer> {
  if (!org) throw new UsageError("--org is required (a uuid or a global id)");
  const organizationId = idOf(org, "Organization", "Organisation");
  const organization = await prisma.organization.findUnique({ where: { id: organizationId } });
  if (!organization) throw new UsageError(`Organisation ${org} not found`);
  const owner = await prisma.user.findFirst({
    where: { organizationId, role: "owner" },
    orderBy: { createdAt: "asc" },
  });
  if (!owner) throw new UsageError(`Organisation ${org} has no owner`);
  return Viewer.system({ id: organization.id, name: organization.name }, owner);
}

/** A user of the organisation by id (uuid or global id) or e-mail. */
async function userIdOf(prisma: PrismaClient, organizationId: string, user: string): Promise<string> {
  const id = anyId(user, "User");
  if (id) return id;
  const found = await prisma.user.findFirst({
    where: { organizationId, email: user.toLowerCase() },
    select: { id: true },
  });
  if (!found) throw new UsageError(`User ${user} not found in organisation ${organizationId}`);
  return found.id;
}

const KEY_IDS = { id: "ApiKey", userId: "User" };
const TOKEN_IDS = { id: "RefreshToken", userId: "User" };

async function run(
  prisma: PrismaClient,
  positionals: string[],
  values: Values,
  tokens: TokenSettings,
): Promise<unknown> {
  const [noun, verb, ...rest] = positionals;
  switch (`${noun} ${verb}`) {
    case "org create": {
      const name = rest.join(" ");
      if (!name) throw new UsageError("org create needs a name");
      const created = await createOrganization(prisma, {
        name,
        ownerEmail: values["owner-email"],
        ownerName: values["owner-name"],
      });
      return withGlobalIds(
        {
          organizationId: created.organization.id,
          name: created.organization.name,
          ownerUserId: created.owner.id,
          ownerEmail: created.owner.email,
          apiKeyId: created.ownerKey.apiKey.id,
          apiKey: created.ownerKey.secret,
        },
        { organizationId: "Organization", ownerUserId: "User", apiKeyId: "ApiKey" },
      );
    }
    case "org list": {
      const organizations = await prisma.organization.findMany({
        orderBy: { createdAt: "asc" },
        select: { id: true, name: true, createdAt: true },
      });
      return organizations.map((row) => withGlobalIds(row, { id: "Organization" }));
    }
    case "user create": {
      const viewer = await systemViewer(prisma, values.org);
      const user = await new UserService(prisma, viewer).create({
        email: values.email ?? "",
        displayName: values.name ?? "",
        role: (values.role ?? "member") as "member",
      });
      return withGlobalIds(
        { userId: user.id, email: user.email, displayName: user.displayName, role: user.role },
        { userId: "User" },
      );
    }
    case "key create": {
      const viewer = await systemViewer(prisma, values.org);
      const created = await new ApiKeyService(prisma, viewer).create({
        name: values.name ?? "",
        userId: values.user ? await userIdOf(prisma, viewer.organization.id, values.user) : undefined,
        scopes: values.scopes ? values.scopes.split(",").map((s) => s.trim()) : undefined,
        expiresAt: values.expires ? new Date(values.expires) : undefined,
        canActForUsers: values["act-for-users"] ?? false,
        rateLimitPerMinute: values["rate-limit"] ? Number(values["rate-limit"]) : undefined,
      });
      return { ...withGlobalIds(created.apiKey, KEY_IDS), apiKey: created.secret };
    }
    case "key list": {
      const viewer = await systemViewer(prisma, values.org);
      return (await new ApiKeyService(prisma, viewer).list()).map((key) => withGlobalIds(key, KEY_IDS));
    }
    case "key revoke": {
      const viewer = await systemViewer(prisma, values.org);
      if (!rest[0]) throw new UsageError("key revoke needs a key id");
      const revoked = await new ApiKeyService(prisma, viewer).revoke(idOf(rest[0], "ApiKey", "Key"));
      return withGlobalIds(revoked, KEY_IDS);
    }
    case "token create": {
      const viewer = await systemViewer(prisma, values.org);
      if (!values.user) throw new UsageError("--user is required (an id or e-mail)");
      const days = values["expires-in-days"];
      const created = await new RefreshTokenService(prisma, viewer, tokens).create({
        userId: await userIdOf(prisma, viewer.organization.id, values.user),
        name: values.name ?? "",
        expiresInDays: days === undefined ? undefined : Number(days),
      });
      return { ...withGlobalIds(created.refreshToken, TOKEN_IDS), refreshToken: created.secret };
    }
    case "token list": {
      const viewer = await systemViewer(prisma, values.org);
      const userId = values.user ? await userIdOf(prisma, viewer.organization.id, values.user) : undefined;
      const { items } = await new RefreshTokenService(prisma, viewer, tokens).list(
        { userId, includeRotated: values["include-rotated"] ?? false },
        0,
        10_000,
      );
      return items.map((item) => withGlobalIds(item, TOKEN_IDS));
    }
    case "token revoke": {
      const viewer = await systemViewer(prisma, values.org);
      if (!rest[0]) throw new UsageError("token revoke needs a token id");
      const revoked = await new RefreshTokenService(prisma, viewer, tokens).revoke(
        idOf(rest[0], "RefreshToken", "Token"),
      );
      return withGlobalIds(revoked, TOKEN_IDS);
    }
    case "semantic import": {
      const viewer = await systemViewer(prisma, values.org);
      if (!values.connection) throw new UsageError("--connection is required");
      if (!values.file) throw new UsageError("--file is required");
      let text: string;
      try {
        text = readFileSync(values.file, "utf8");
      } catch (error) {
        throw new UsageError(`Cannot read ${values.file}: ${(error as Error).message}`);
      }
      let document: unknown;
      try {
        document = /\.ya?ml$/i.test(values.file) ? parseYaml(text) : JSON.parse(text);
      } catch (error) {
        throw new UsageError(
          `${values.file} is not valid ${/\.ya?ml$/i.test(values.file) ? "YAML" : "JSON"}: ${(error as Error).message}`,
        );
      }
      const model = await new SemanticService(prisma, viewer).setModel(values.connection, document);
      return { connection: values.connection, version: model.version, semanticModelId: model.id };
    }
    case "schema print": {
      // The organisation's whole GraphQL schema (its typed graph included), for codegen.
      const viewer = await systemViewer(prisma, values.org);
      return new Printed(await schemaDocument(prisma, viewer));
    }
    default:
      throw new UsageError(noun ? `Unknown command: ${positionals.join(" ")}` : "No command given");
  }
}

/** Output printed as it is (an SDL document), or as `{"text": …}` with --json. */
class Printed {
  constructor(readonly text: string) {}
}

function printHuman(result: unknown): void {
  if (result instanceof Printed) {
    process.stdout.write(result.text.endsWith("\n") ? result.text : `${result.text}\n`);
    return;
  }
  const rows = Array.isArray(result) ? result : [result];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row as Record<string, unknown>)) {
      console.log(
        `${key.padEnd(16)} ${value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(",") : String(value ?? "")}`,
      );
    }
    if (rows.length > 1) console.log("");
  }
  if (result && typeof result === "object" && "apiKey" in result) {
    console.log("\nThe API key is shown this once: store it now.");
  }
  if (
    result &&
    typeof result === "object" &&
    typeof (result as { refreshToken?: unknown }).refreshToken === "string"
  ) {
    console.log("\nThe refresh token is shown this once: store it now.");
  }
}

async function main(): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ options, allowPositionals: true, args: process.argv.slice(2) });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help || parsed.positionals.length === 0) {
    console.log(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  const config = loadConfig({ ...process.env, LOG_LEVEL: "silent" });
  // A server holding the embedded database offers it on its socket: one session, shared, so one
  // connection and no named statements (src/db/embedded.ts).
  const served = config.databaseUrl ? undefined : runningEmbeddedServer(path.join(config.dataDir, "pglite"));
  const db = await openDatabase({
    url: served?.url ?? config.databaseUrl,
    listenUrl: config.databaseListenUrl,
    dataDir: config.dataDir,
    ...(served ? { poolSize: 1, prepare: false } : {}),
    logger: { info: () => {}, warn: (msg) => console.error(msg) },
  });
  try {
    const result = await run(db.prisma, parsed.positionals, parsed.values, config.tokens);
    if (parsed.values.json) console.log(JSON.stringify(result, null, 2));
    else printHuman(result);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof AppError) {
      const issues = error.issues.map((i) => `\n  ${i.field}: ${i.message}`).join("");
      console.error(`${error.code}: ${error.message}${issues}`);
      return 1;
    }
    throw error;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
