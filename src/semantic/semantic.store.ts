// All of the SQL on semantic_models: one model per data connection, its document kept as jsonb.
import { randomUUID } from "node:crypto";
import { type SqlPool, sql } from "../db/sql.js";
import type { DataConnection } from "../exec/connections.store.js";

export type SemanticModelRecord = {
  id: string;
  organizationId: string;
  connectionId: string;
  version: string;
  /** The document as stored (jsonb: keys in jsonb's order, not the documented one). */
  definition: unknown;
  createdAt: Date;
  updatedAt: Date;
};

type ModelRow = {
  id: string;
  organization_id: string;
  connection_id: string;
  version: string;
  definition: unknown;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = sql`id, organization_id, connection_id, version, definition, created_at, updated_at`;

function toModel(row: ModelRow): SemanticModelRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    connectionId: row.connection_id,
    version: row.version,
    definition: row.definition,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SemanticStore {
  constructor(private readonly db: SqlPool) {}

  /** The models of these connections within the organisation (one per connection at most). */
  async byConnections(organizationId: string, connectionIds: string[]): Promise<SemanticModelRecord[]> {
    if (connectionIds.length === 0) return [];
    const rows = await this.db.rows<ModelRow>(
      sql`SELECT ${COLUMNS} FROM semantic_models
          WHERE connection_id = ANY(${connectionIds}::uuid[]) AND organization_id = ${organizationId}::uuid`,
      { name: "semantic.byConnections" },
    );
    return rows.map(toModel);
  }

  /** Up to `limit` of the organisation's models, each with its connection. */
  async withConnections(
    organizationId: string,
    limit: number,
  ): Promise<Array<{ model: SemanticModelRecord; connection: DataConnection }>> {
    const rows = await this.db.rows<
      ModelRow & {
        c_organization_id: string;
        c_name: string;
        c_platform: string;
        c_encrypted_url: string;
        c_default_schema: string | null;
        c_run_as_role: string | null;
        c_created_at: Date;
        c_updated_at: Date;
      }
    >(
      sql`SELECT m.id, m.organization_id, m.connection_id, m.version, m.definition, m.created_at, m.updated_at,
            c.organization_id AS c_organization_id, c.name AS c_name, c.platform AS c_platform, c.encrypted_url AS c_encrypted_url,
            c.default_schema AS c_default_schema, c.run_as_role AS c_run_as_role,
            c.created_at AS c_created_at, c.updated_at AS c_updated_at
          FROM semantic_models m JOIN data_connections c ON c.id = m.connection_id
          WHERE m.organization_id = ${organizationId}::uuid
          LIMIT ${limit}::int`,
      { name: "semantic.withConnections" },
    );
    return rows.map((row) => ({
      model: toModel(row),
      connection: {
        id: row.connection_id,
        organizationId: row.c_organization_id,
        name: row.c_name,
        platform: row.c_platform,
        encryptedUrl: row.c_encrypted_url,
        defaultSchema: row.c_default_schema,
        runAsRole: row.c_run_as_role,
        createdAt: row.c_created_at,
        updatedAt: row.c_updated_at,
      },
    }));
  }

  /** Creates the connection's model, or replaces its version and document. */
  async upsert(model: {
    organizationId: string;
    connectionId: string;
    version: string;
    definition: unknown;
  }): Promise<SemanticModelRecord> {
    const row = await this.db.maybeOne<ModelRow>(
      sql`INSERT INTO semantic_models (id, organization_id, connection_id, version, definition, updated_at)
          VALUES (${randomUUID()}::uuid, ${model.organizationId}::uuid, ${model.connectionId}::uuid,
            ${model.version}::text, ${JSON.stringify(model.definition)}::jsonb, now())
          ON CONFLICT (connection_id) DO UPDATE
            SET version = EXCLUDED.version, definition = EXCLUDED.definition, updated_at = now()
          RETURNING ${COLUMNS}`,
      { name: "semantic.upsert" },
    );
    return toModel(row as ModelRow);
  }

  /** How many models were deleted (0 or 1). */
  delete(organizationId: string, connectionId: string): Promise<number> {
    return this.db.execute(
      sql`DELETE FROM semantic_models WHERE connection_id = ${connectionId}::uuid AND organization_id = ${organizationId}::uuid`,
      { name: "semantic.delete" },
    );
  }
}
