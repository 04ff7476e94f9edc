// All of the SQL on data_connections (the platform's table of named connections; the tenant
// SQL those connections run is execution.service.ts's, on the tenant's own database).
import { randomUUID } from "node:crypto";
import { join, type Prisma, type SqlPool, sql } from "../db/sql.js";

/** A named connection as the platform stores it: the URL only sealed (secret-box.ts). */
export type DataConnection = {
  id: string;
  organizationId: string;
  name: string;
  platform: string;
  encryptedUrl: string;
  defaultSchema: string | null;
  runAsRole: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export type NewConnection = Omit<DataConnection, "id" | "createdAt" | "updatedAt">;

/** The columns an update may set; absent ones keep their value, null clears a nullable one. */
export type ConnectionPatch = {
  name?: string;
  encryptedUrl?: string;
  defaultSchema?: string | null;
  runAsRole?: string | null;
};

type ConnectionRow = {
  id: string;
  organization_id: string;
  name: string;
  platform: string;
  encrypted_url: string;
  default_schema: string | null;
  run_as_role: string | null;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = sql`id, organization_id, name, platform, encrypted_url, default_schema, run_as_role, created_at, updated_at`;

function toConnection(row: ConnectionRow): DataConnection {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    platform: row.platform,
    encryptedUrl: row.encrypted_url,
    defaultSchema: row.default_schema,
    runAsRole: row.run_as_role,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class ConnectionStore {
  constructor(private readonly db: SqlPool) {}

  async list(organizationId: string): Promise<DataConnection[]> {
    const rows = await this.db.rows<ConnectionRow>(
      sql`SELECT ${COLUMNS} FROM data_connections WHERE organization_id = ${organizationId}::uuid ORDER BY name ASC`,
      { name: "connections.list" },
    );
    return rows.map(toConnection);
  }

  async byName(organizationId: string, name: string): Promise<DataConnection | null> {
    const row = await this.db.maybeOne<ConnectionRow>(
      sql`SELECT ${COLUMNS} FROM data_connections WHERE organization_id = ${organizationId}::uuid AND name = ${name}::text`,
      { name: "connections.byName" },
    );
    return row ? toConnection(row) : null;
  }

  async insert(connection: NewConnection): Promise<DataConnection> {
    const row = await this.db.maybeOne<ConnectionRow>(
      sql`INSERT INTO data_connections
            (id, organization_id, name, platform, encrypted_url, default_schema, run_as_role, updated_at)
          VALUES (${randomUUID()}::uuid, ${connection.organizationId}::uuid, ${connection.name}::text,
            ${connection.platform}::text, ${connection.encryptedUrl}::text, ${connection.defaultSchema}::text,
            ${connection.runAsRole}::text, now())
          RETURNING ${COLUMNS}`,
      { name: "connections.insert" },
    );
    return toConnection(row as ConnectionRow);
  }

  /** Null when the connection is gone. */
  async update(id: string, patch: ConnectionPatch): Promise<DataConnection | null> {
    const set: Prisma.Sql[] = [];
    if (patch.name !== undefined) set.push(sql`name = ${patch.name}::text`);
    if (patch.encryptedUrl !== undefined) set.push(sql`encrypted_url = ${patch.encryptedUrl}::text`);
    if (patch.defaultSchema !== undefined) set.push(sql`default_schema = ${patch.defaultSchema}::text`);
    if (patch.runAsRole !== undefined) set.push(sql`run_as_role = ${patch.runAsRole}::text`);
    set.push(sql`updated_at = now()`);
    const row = await this.db.maybeOne<ConnectionRow>(
      sql`UPDATE data_connections SET ${join(set, ", ")} WHERE id = ${id}::uuid RETURNING ${COLUMNS}`,
    );
    return row ? toConnection(row) : null;
  }

  async delete(id: string): Promise<void> {
    await this.db.execute(sql`DELETE FROM data_connections WHERE id = ${id}::uuid`, {
      name: "connections.delete",
    });
  }
}
