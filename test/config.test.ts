import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  it("has documented defaults", () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe(path.resolve("./data"));
    expect(config.logLevel).toBe("info");
    expect(config.demoData).toBe(true);
    expect(config.graphql).toEqual({
      introspection: true,
      jit: true,
      maxDepth: 12,
      maxCost: 10_000,
      maxAliases: 30,
      maxDirectives: 50,
      maxDocumentBytes: 100_000,
      maxTokens: 5000,
      documentCache: { maxEntries: 1000, maxBytes: 32_000_000 },
    });
    expect(config.bodyLimitBytes).toBe(1_048_576);
    expect(config.tokens).toEqual({ accessTokenTtlSeconds: 3600, refreshTokenTtlDays: 30 });
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "8080",
      HOST: "0.0.0.0",
      DATABASE_URL: "postgresql://u@db:5432/app",
      DATA_DIR: "/var/lib/gw",
      BOOTSTRAP_API_KEY: "x".repeat(32),
      REDIS_URL: "redis://127.0.0.1:6379",
      LOG_LEVEL: "debug",
      DEMO_DATA: "false",
      GRAPHQL_INTROSPECTION: "0",
      GRAPHQL_MAX_DOCUMENT_BYTES: "20000",
      GRAPHQL_MAX_TOKENS: "800",
      GRAPHQL_DOCUMENT_CACHE_ENTRIES: "50",
      GRAPHQL_DOCUMENT_CACHE_BYTES: "1000000",
      ACCESS_TOKEN_TTL_SECONDS: "900",
      REFRESH_TOKEN_TTL_DAYS: "90",
    });
    expect(config).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      databaseUrl: "postgresql://u@db:5432/app",
      dataDir: "/var/lib/gw",
      bootstrapApiKey: "x".repeat(32),
      redisUrl: "redis://127.0.0.1:6379",
      logLevel: "debug",
      demoData: false,
    });
    expect(config.graphql).toMatchObject({
      introspection: false,
      maxDocumentBytes: 20_000,
      maxTokens: 800,
      documentCache: { maxEntries: 50, maxBytes: 1_000_000 },
    });
    expect(config.tokens).toEqual({ accessTokenTtlSeconds: 900, refreshTokenTtlDays: 90 });
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ PORT: "", DATABASE_URL: "" }).port).toBe(4000);
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["DATABASE_URL", "mysql://localhost/db"],
    ["REDIS_URL", "http://localhost"],
    ["LOG_LEVEL", "verbose"],
    ["BOOTSTRAP_API_KEY", "short"],
    ["DEMO_DATA", "maybe"],
    ["ACCESS_TOKEN_TTL_SECONDS", "10"],
    ["REFRESH_TOKEN_TTL_DAYS", "5"],
  ])("rejects %s=%s naming the variable", (name, value) => {
    try {
      loadConfig({ [name]: value });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain(name);
      // A secret's value is never shown (issue 15, item 11); the others are, to help fix them.
      if (name === "BOOTSTRAP_API_KEY") expect((error as ConfigError).message).not.toContain(value);
      else expect((error as ConfigError).message).toContain(JSON.stringify(value));
    }
  });

  it.each([
    ["BOOTSTRAP_API_KEY", "a secret key with spaces in it, long enough"],
    ["CONNECTIONS_ENCRYPTION_KEY", "not-hex-but-a-secret-anyway"],
  ])("never shows the value of the secret %s, on one line", (name, value) => {
    try {
      loadConfig({ [name]: value });
      expect.unreachable();
    } catch (error) {
      const { message } = error as ConfigError;
      expect(message).toContain(name);
      expect(message).not.toContain(value);
      expect(message).toContain(`${value.length} characters`);
      expect(message).not.toContain("\n");
    }
  });

  it("shows a bad connection URL without its password", () => {
    expect(() => loadConfig({ DATABASE_URL: "mysql://admin:hunter2@db.example/app" })).toThrow(
      /DATABASE_URL.*mysql:\/\/admin:\*\*\*@db\.example\/app/,
    );
  });

  it("reports every bad variable at once", () => {
    try {
      loadConfig({ PORT: "x", LOG_LEVEL: "y" });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });
});
