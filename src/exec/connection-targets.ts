// Where a tenant's data connection may point. A connection URL is resolved to addresses before
// anything is decided, and the session is then opened on the address that was checked (so a
// name that resolves elsewhere the second time cannot slip through). Refused: the platform's own
// database always; loopback, private, link-local, CGNAT, multicast and reserved addresses, and
// the addresses of this machine's interfaces, unless the operator lists them in
// EXEC_ALLOWED_HOSTS. Every refusal is the same error, whatever its reason, so the check cannot
// be used to map a network.
import { lookup } from "node:dns/promises";
import { networkInterfaces } from "node:os";
import ipaddr from "ipaddr.js";
import type pg from "pg";
import { parse as parseConnectionString } from "pg-connection-string";

/** A URL refused by the policy. Callers turn it into their one generic error. */
export class TargetRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`connection target refused: ${reason}`);
    this.name = "TargetRefusedError";
  }
}

export type AllowedHost =
  | { kind: "name"; name: string }
  | { kind: "range"; range: [ipaddr.IPv4 | ipaddr.IPv6, number] };

/** Parses one EXEC_ALLOWED_HOSTS entry: a host name, an IP address or a CIDR range. */
export function parseAllowedHost(entry: string): AllowedHost | undefined {
  const text = entry.trim().toLowerCase();
  if (ipaddr.isValidCIDR(text)) return { kind: "range", range: ipaddr.parseCIDR(text) };
  if (ipaddr.isValid(text)) {
    const address = ipaddr.process(text);
    return { kind: "range", range: [address, address.kind() === "ipv4" ? 32 : 128] };
  }
  if (/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(text)) {
    return { kind: "name", name: text };
  }
  return undefined;
}

type Resolve = (host: string) => Promise<string[]>;

const resolveHost: Resolve = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

export type TargetPolicyOptions = {
  allowedHosts: readonly AllowedHost[];
  /** The platform's own database: never a tenant's target, whatever EXEC_ALLOWED_HOSTS says. */
  platformDatabaseUrl: string;
  resolve?: Resolve;
};

export class TargetPolicy {
  private readonly resolve: Resolve;

  constructor(private readonly options: TargetPolicyOptions) {
    this.resolve = options.resolve ?? resolveHost;
  }

  /**
   * The client configuration for `url` (with `database` instead of the URL's when given), pinned
   * to the checked address; throws TargetRefusedError.
   */
  async clientConfig(url: string, database?: string): Promise<pg.ClientConfig> {
    let parsed: ReturnType<typeof parseConnectionString>;
    try {
      parsed = parseConnectionString(url);
    } catch {
      throw new TargetRefusedError("unparsable URL");
    }
    const host = (parsed.host ?? "").toLowerCase();
    // A unix socket (host=/run/postgresql) is this machine by definition.
    if (!host || host.startsWith("/")) throw new TargetRefusedError("no network host");
    const port = parsed.port ? Number(parsed.port) : 5432;
    const targetDatabase = database ?? parsed.database ?? parsed.user ?? "";
    const addresses = await this.addressesOf(host);
    if (await this.isPlatformDatabase(addresses, port, targetDatabase)) {
      throw new TargetRefusedError("the platform's own database");
    }
    const nameAllowed = this.options.allowedHosts.some((a) => a.kind === "name" && a.name === host);
    const own = ownAddresses();
    for (const address of addresses) {
      if (nameAllowed || this.inAllowedRange(address)) continue;
      if (address.range() !== "unicast" || own.has(address.toNormalizedString())) {
        throw new TargetRefusedError(`address ${address.toString()} is not public`);
      }
    }
    const pinned = addresses[0]!.toString();
    const { host: _host, port: _port, database: _database, ssl, ...rest } = parsed;
    return {
      ...(rest as pg.ClientConfig),
      host: pinned,
      port,
      database: targetDatabase,
      // TLS still verifies the name the operator wrote, not the pinned address.
      ...(ssl === undefined ? {} : { ssl: typeof ssl === "object" ? { ...ssl, servername: host } : ssl }),
    } as pg.ClientConfig;
  }

  private async addressesOf(host: string): Promise<Array<ipaddr.IPv4 | ipaddr.IPv6>> {
    const literal = host.replace(/^\[(.*)\]$/, "$1");
    let texts: string[];
    try {
      texts = ipaddr.isValid(literal) ? [literal] : await this.resolve(host);
    } catch {
      throw new TargetRefusedError("name does not resolve");
    }
    if (texts.length === 0) throw new TargetRefusedError("name does not resolve");
    // IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
    return texts.map((text) => ipaddr.process(text));
  }

  private inAllowedRange(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    return this.options.allowedHosts.some(
      (a) => a.kind === "range" && a.range[0].kind() === address.kind() && address.match(a.range),
    );
  }

  private platform?: Promise<{ addresses: Set<string>; port: number; database: string }>;

  private async isPlatformDatabase(
    addresses: Array<ipaddr.IPv4 | ipaddr.IPv6>,
    port: number,
    database: string,
  ): Promise<boolean> {
    this.platform ??= (async () => {
      const parsed = parseConnectionString(this.options.platformDatabaseUrl);
      const host = parsed.host ?? "127.0.0.1";
      const resolved = host.startsWith("/") ? [] : await this.addressesOf(host.toLowerCase());
      return {
        addresses: new Set(resolved.map((a) => sameMachineKey(a))),
        port: parsed.port ? Number(parsed.port) : 5432,
        database: parsed.database ?? parsed.user ?? "",
      };
    })();
    const platform = await this.platform;
    return (
      port === platform.port &&
      database === platform.database &&
      addresses.some((a) => platform.addresses.has(sameMachineKey(a)))
    );
  }
}

/** Loopback and this machine's own addresses all reach the same servers. */
function sameMachineKey(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (address.range() === "loopback" || address.range() === "unspecified") return "this-machine";
  return ownAddresses().has(address.toNormalizedString()) ? "this-machine" : address.toNormalizedString();
}

function ownAddresses(): Set<string> {
  const own = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      const text = entry.address.split("%")[0]!;
      if (ipaddr.isValid(text)) own.add(ipaddr.process(text).toNormalizedString());
    }
  }
  return own;
}
