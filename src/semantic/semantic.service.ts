// The semantic model of each connection: stored, validated, served as metadata and compiled to
// SQL. REST (semantic.rest.ts) and GraphQL (semantic.graphql.ts) both call this service.
import DataLoader from "dataloader";
import { isUuid } from "../db/ids.js";
import { sqlOf } from "../db/sql.js";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import { ConnectionService, type DataConnection } from "../exec/connections.service.js";
import { ExecutionService, type ResultSet } from "../exec/execution.service.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput } from "../validation.js";
import { type CompiledQuery, compileSemanticQuery } from "./codegen/compile.js";
import { CodegenInput, SemanticQueryInput } from "./semantic.inputs.js";
import {
  findEntity,
  type LocatedEntity,
  parseSemanticModel,
  type SemanticModelDocument,
} from "./semantic.model.js";
import { type SemanticModelRecord, SemanticStore } from "./semantic.store.js";

/** An entity with what GraphQL needs to resolve its relationships and its node id. */
export type LocatedModelEntity = LocatedEntity & { connectionId: string; model: SemanticModelDocument };

const NO_PERMISSION = "You don't have permission to access this connection";

export class SemanticService {
  private readonly store: SemanticStore;
  /** Models by connection id: one statement for every DataConnection.semanticModel of a request. */
  private readonly models = new DataLoader<string, SemanticModelRecord | null>((ids) => this.loadModels(ids));

  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    this.store = new SemanticStore(sqlOf(prisma));
  }

  private connections() {
    return new ConnectionService(this.prisma, this.viewer);
  }

  /** GET /semantic-layer/metadata/{connection_name}: the stored document. */
  async metadata(connectionName: string): Promise<SemanticModelDocument> {
    if (!this.viewer.can("semantic:read")) throw new ForbiddenError(NO_PERMISSION);
    const connection = await this.connections().find(connectionName);
    if (!connection) throw new ValidationError("Connection not found");
    const model = await this.modelOf(connection.id);
    if (!model) throw new ValidationError("No semantic model found for connection");
    // Re-parsed so keys come back in the documented order (jsonb does not keep it).
    return parseSemanticModel(model.definition);
  }

  modelOf(connectionId: string): Promise<SemanticModelRecord | null> {
    return this.models.load(connectionId);
  }

  private async loadModels(connectionIds: readonly string[]): Promise<Array<SemanticModelRecord | null>> {
    const rows = await this.store.byConnections(this.viewer.organization.id, connectionIds.filter(isUuid));
    const found = new Map(rows.map((row) => [row.connectionId, row]));
    return connectionIds.map((id) => found.get(id) ?? null);
  }

  /** The parsed model of a connection of the viewer's organisation, or null (GraphQL). */
  async documentOf(connectionId: string): Promise<SemanticModelDocument | null> {
    if (!this.viewer.can("semantic:read")) throw new ForbiddenError(NO_PERMISSION);
    const model = await this.modelOf(connectionId);
    return model ? parseSemanticModel(model.definition) : null;
  }

  /** An entity by connection id and name (SemanticEntity node ids), or null. */
  async entity(connectionId: string, name: string): Promise<LocatedModelEntity | null> {
    if (!/^[0-9a-f-]{36}$/i.test(connectionId)) return null;
    const model = await this.documentOf(connectionId);
    if (!model) return null;
    const found = findEntity(model, name);
    return found ? { connectionId, model, ...found } : null;
  }

  /** POST /semantic-layer/codegen/sql. Without connection_name, the organisation's only model. */
  async generateSql(input: unknown): Promise<CompiledQuery & { connection: DataConnection }> {
    if (!this.viewer.can("semantic:read")) throw new ForbiddenError(NO_PERMISSION);
    const body = (input ?? {}) as { query?: unknown };
    if (body.query === undefined || body.query === null) throw new ValidationError("Query is required");
    const data = parseInput(CodegenInput, input);
    const { connection, model } = await this.resolveModel(data.connection_name);
    const compiled = compileSemanticQuery(
      model.definition as SemanticModelDocument,
      parseInput(SemanticQueryInput, data.query, "query"),
    );
    return { ...compiled, connection };
  }

  /** GraphQL semanticQuery: compile for the connection, then execute there. */
  async runQuery(input: unknown): Promise<ResultSet & { sql: string }> {
    const compiled = await this.generateSql(input);
    if (compiled.platform !== "postgres") {
      throw new ValidationError(
        `Semantic queries execute only on postgres layers; this layer is ${compiled.platform}`,
      );
    }
    const result = await new ExecutionService(this.prisma, this.viewer).runOn(
      compiled.connection.name,
      compiled.sql,
    );
    return { ...result, sql: compiled.sql };
  }

  private async resolveModel(
    name: string | undefined,
  ): Promise<{ connection: DataConnection; model: SemanticModelRecord }> {
    if (name !== undefined) {
      const connection = await this.connections().find(name);
      if (!connection) throw new ValidationError("Connection not found");
      const model = await this.modelOf(connection.id);
      if (!model) throw new ValidationError("No semantic model found for connection");
      return { connection, model };
    }
    const models = await this.store.withConnections(this.viewer.organization.id, 2);
    if (models.length === 0) throw new ValidationError("No semantic model found for connection");
    if (models.length > 1) {
      throw new ValidationError("connection_name is required: more than one connection has a semantic model");
    }
    return models[0] as (typeof models)[number];
  }

  /** Creates or replaces the model of a connection. */
  async setModel(connectionName: string, document: unknown): Promise<SemanticModelRecord> {
    this.viewer.require("semantic:write");
    const connection = await this.connections().find(connectionName);
    if (!connection) throw new NotFoundError(`Connection not found: ${connectionName}`);
    const model = parseSemanticModel(document);
    const definition = JSON.parse(JSON.stringify(model));
    const stored = await this.store.upsert({
      organizationId: this.viewer.organization.id,
      connectionId: connection.id,
      version: model.version,
      definition,
    });
    this.models.clear(connection.id);
    return stored;
  }

  async deleteModel(connectionName: string): Promise<boolean> {
    this.viewer.require("semantic:write");
    const connection = await this.connections().find(connectionName);
    if (!connection) throw new NotFoundError(`Connection not found: ${connectionName}`);
    const deleted = await this.store.delete(this.viewer.organization.id, connection.id);
    this.models.clear(connection.id);
    return deleted > 0;
  }
}
