// The organisation's named data connections. URLs (credentials included) are stored sealed
// and leave this service only to open a database session (ExecutionService).
import { translateDatabaseError } from "../db/errors.js";
import { sqlOf } from "../db/sql.js";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { Viewer } from "../identity/viewer.js";
import { parseInput } from "../validation.js";
import { TargetRefusedError } from "./connection-targets.js";
import { CreateConnectionInput, UpdateConnectionInput } from "./connections.inputs.js";
import { ConnectionStore, type DataConnection } from "./connections.store.js";
import { DEMO_WAREHOUSE_URL } from "./demo-warehouse.js";
import { execEnvironment } from "./exec-environment.js";

export type { DataConnection } from "./connections.store.js";
export type OpenedConnection = { connection: DataConnection; url: string };

export class ConnectionService {
  private readonly store: ConnectionStore;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly viewer: Viewer,
  ) {
    this.store = new ConnectionStore(sqlOf(prisma));
  }

  private requireRead(): void {
    if (!this.viewer.can("sql:execute") && !this.viewer.can("semantic:read")) {
      throw new ForbiddenError("You don't have permission to access this connection");
    }
  }

  async list(): Promise<DataConnection[]> {
    this.requireRead();
    return this.store.list(this.viewer.organization.id);
  }

  /** The connection of that name in the viewer's organisation, or null. No scope check. */
  find(name: string): Promise<DataConnection | null> {
    return this.store.byName(this.viewer.organization.id, name);
  }

  async get(name: string): Promise<DataConnection> {
    this.requireRead();
    const connection = await this.find(name);
    if (!connection) throw new NotFoundError(`Connection not found: ${name}`);
    return connection;
  }

  async create(input: CreateConnectionInput): Promise<DataConnection> {
    this.viewer.require("org:admin");
    const data = parseInput(CreateConnectionInput, input);
    if (await this.find(data.name)) throw new ConflictError(`A connection named ${data.name} already exists`);
    await this.checkTarget(data.url);
    return this.insert({
      organizationId: this.viewer.organization.id,
      name: data.name,
      platform: data.platform,
      encryptedUrl: execEnvironment(this.prisma).secrets().seal(data.url),
      defaultSchema: data.defaultSchema ?? null,
      runAsRole: data.runAsRole ?? null,
    });
  }

  async update(name: string, input: UpdateConnectionInput): Promise<DataConnection> {
    this.viewer.require("org:admin");
    const data = parseInput(UpdateConnectionInput, input);
    const connection = await this.find(name);
    if (!connection) throw new NotFoundError(`Connection not found: ${name}`);
    if (data.name && data.name !== name && (await this.find(data.name))) {
      throw new ConflictError(`A connection named ${data.name} already exists`);
    }
    if (data.url) await this.checkTarget(data.url);
    const updated = await this.guard(data.name ?? name, () =>
      this.store.update(connection.id, {
        ...(data.name ? { name: data.name } : {}),
        ...(data.url ? { encryptedUrl: execEnvironment(this.prisma).secrets().seal(data.url) } : {}),
        ...(data.defaultSchema !== undefined ? { defaultSchema: data.defaultSchema } : {}),
        ...(data.runAsRole !== undefined ? { runAsRole: data.runAsRole } : {}),
      }),
    );
    if (!updated) throw new NotFoundError(`Connection not found: ${name}`);
    return updated;
  }

  /** The demo organisation's connection to the operator's demo warehouse (demo-warehouse.ts). */
  createDemoWarehouseConnection(name: string, defaultSchema: string): Promise<DataConnection> {
    this.viewer.require("org:admin");
    return this.insert({
      organizationId: this.viewer.organization.id,
      name,
      platform: "postgres",
      encryptedUrl: execEnvironment(this.prisma).secrets().seal(DEMO_WAREHOUSE_URL),
      defaultSchema,
      runAsRole: null,
    });
  }

  /** Two creates of one name at once: the unique index answers the second like the first check. */
  private insert(connection: Parameters<ConnectionStore["insert"]>[0]): Promise<DataConnection> {
    return this.guard(connection.name, () => this.store.insert(connection));
  }

  private async guard<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      return translateDatabaseError(error, {
        unique: () => new ConflictError(`A connection named ${name} already exists`),
      });
    }
  }

  /**
   * Refuses a URL on the platform's own database, or on loopback, private or link-local
   * addresses the operator did not allow. One message whatever the reason: a refusal tells
   * nothing about what is listening where.
   */
  private async checkTarget(url: string): Promise<void> {
    try {
      await execEnvironment(this.prisma).targets.clientConfig(url);
    } catch (error) {
      if (!(error instanceof TargetRefusedError)) throw error;
      const message = "must point at a PostgreSQL server this platform may reach (see EXEC_ALLOWED_HOSTS)";
      throw new ValidationError(`url: ${message}`, [{ field: "url", message }]);
    }
  }

  async delete(name: string): Promise<DataConnection> {
    this.viewer.require("org:admin");
    const connection = await this.find(name);
    if (!connection) throw new NotFoundError(`Connection not found: ${name}`);
    await this.store.delete(connection.id);
    return connection;
  }

  /** The connection with its URL unsealed, for opening a session. Callers check scopes. */
  async open(name: string): Promise<OpenedConnection> {
    const connection = await this.find(name);
    if (!connection) throw new NotFoundError(`Connection not found: ${name}`);
    return { connection, url: execEnvironment(this.prisma).secrets().open(connection.encryptedUrl) };
  }
}
