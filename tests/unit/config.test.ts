import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config/config.js";
import { devSigningKey } from "../../server/config/dev-key.js";

const KEY = "k".repeat(32);

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ JWT_SIGNING_KEY: KEY, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration", () => {
  it("has the contract's defaults", () => {
    const config = loadConfig({ JWT_SIGNING_KEY: KEY });
    expect(config.jwt).toMatchObject({
      algorithm: "HS256",
      accessTokenLifetime: 300,
      refreshTokenLifetime: 86400,
      rotateRefreshTokens: true,
      blacklistAfterRotation: true,
    });
    expect(config.passwordReset.timeout).toBe(900);
    expect(config.otp.ttl).toBe(300);
    expect(config.database.url).toBeUndefined();
    expect(config.database.preparedStatements).toBe(true);
    expect(config.http.workers).toBe(1);
    expect(config.http.corsAllowedOrigins).toEqual([]);
    expect(config.mail.from).toBe("webmaster@localhost");
    expect(Object.isFrozen(config.jwt)).toBe(true);
  });

  it("parses the documented formats", () => {
    const config = loadConfig({
      JWT_SIGNING_KEY: KEY,
      PORT: "9000",
      DATABASE_URL: "postgres://u:p@db:5432/app",
      WEB_CONCURRENCY: "3",
      ACCESS_TOKEN_LIFETIME: " 60 ",
      ROTATE_REFRESH_TOKENS: "False",
      BLACKLIST_AFTER_ROTATION: "0",
      CORS_ALLOWED_ORIGINS: "http://localhost:3000, https://app.example.com",
      SMTP_URL: "smtp://user:pw@127.0.0.1:2525",
      EMAIL_FROM: "Auth <no-reply@example.com>",
      DATABASE_PREPARED_STATEMENTS: "off",
    });
    expect(config.database).toMatchObject({ url: "postgres://u:p@db:5432/app", preparedStatements: false });
    expect(config.http).toMatchObject({
      port: 9000,
      workers: 3,
      corsAllowedOrigins: ["http://localhost:3000", "https://app.example.com"],
    });
    expect(config.jwt).toMatchObject({
      accessTokenLifetime: 60,
      rotateRefreshTokens: false,
      blacklistAfterRotation: false,
    });
    expect(config.mail).toEqual({
      smtpUrl: "smtp://user:pw@127.0.0.1:2525",
      from: "Auth <no-reply@example.com>",
      productName: "JWT Auth",
      outboxDir: ".data/outbox",
    });
    expect(config.secretKey).toBe(KEY);
    expect(loadConfig({ JWT_SIGNING_KEY: KEY, SECRET_KEY: "other" }).secretKey).toBe("other");
  });

  it("stops with a message naming each invalid variable", () => {
    expect(problems({ ACCESS_TOKEN_LIFETIME: "5m" })).toEqual([
      'ACCESS_TOKEN_LIFETIME: must be a whole number of seconds (got "5m")',
    ]);
    const many = problems({
      PORT: "http",
      ROTATE_REFRESH_TOKENS: "maybe",
      DATABASE_URL: "mysql://x",
      CORS_ALLOWED_ORIGINS: "http://ok.example, https://bad.example/path",
      SMTP_URL: "http://mail",
      OTP_TTL: "0",
      NODE_ENV: "staging",
      DATABASE_PREPARED_STATEMENTS: "sometimes",
    });
    expect(many).toContain('DATABASE_PREPARED_STATEMENTS: must be true or false (got "sometimes")');
    for (const name of [
      "PORT",
      "ROTATE_REFRESH_TOKENS",
      "DATABASE_URL",
      "CORS_ALLOWED_ORIGINS",
      "SMTP_URL",
      "OTP_TTL",
      "NODE_ENV",
    ]) {
      expect(
        many.some((line) => line.startsWith(`${name}:`)),
        name,
      ).toBe(true);
    }
    // Secrets are never echoed.
    expect(many.join("\n")).not.toContain("mysql://x");
  });

  it("refuses to start in production without a key of at least 32 bytes", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(
      /JWT_SIGNING_KEY: is required when NODE_ENV=production/,
    );
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SIGNING_KEY: "short" })).toThrow(/at least 32 bytes/);
    const metrics = { METRICS_TOKEN: "metrics-token-0123456789" };
    expect(
      loadConfig({ NODE_ENV: "production", JWT_SIGNING_KEY: "é".repeat(16), ...metrics }).jwt.signingKey,
    ).toHaveLength(16);
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SIGNING_KEY: "é".repeat(15) })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SIGNING_KEY: KEY, SECRET_KEY: "short" })).toThrow(
      /SECRET_KEY: must be at least 32 bytes/,
    );
  });

  it("in production, keeps /metrics closed unless METRICS_TOKEN opens it to its bearer", () => {
    const closed = loadConfig({ NODE_ENV: "production", JWT_SIGNING_KEY: KEY, DATABASE_URL: "postgres://db/app" });
    expect(closed.http.metrics).toBe("closed");
    expect(closed.notices).toEqual([expect.stringMatching(/^\/metrics is closed: set METRICS_TOKEN/)]);
    const config = loadConfig({
      NODE_ENV: "production",
      JWT_SIGNING_KEY: KEY,
      METRICS_TOKEN: "metrics-token-0123456789",
    });
    expect(config.http.metrics).toEqual({ token: "metrics-token-0123456789" });
    expect(loadConfig({ JWT_SIGNING_KEY: KEY }).http.metrics).toBe("open");
  });

  it("warns when production runs on the embedded PGlite database", () => {
    const production = { NODE_ENV: "production", JWT_SIGNING_KEY: KEY, METRICS_TOKEN: "metrics-token-0123456789" };
    expect(loadConfig(production).notices).toEqual([
      expect.stringMatching(/^NODE_ENV=production on the embedded PGlite/),
    ]);
    expect(loadConfig({ ...production, DATABASE_URL: "postgres://h/db" }).notices).toEqual([]);
  });

  it("outside production, generates a key once into an ignored file and warns", () => {
    const file = join(mkdtempSync(join(tmpdir(), "devkey-")), "nested", "jwt-signing-key");
    const warnings: string[] = [];
    const first = loadConfig({}, { devSigningKey: devSigningKey(file, (m) => warnings.push(m)) }).jwt.signingKey;
    const second = loadConfig({}, { devSigningKey: devSigningKey(file, (m) => warnings.push(m)) }).jwt.signingKey;
    expect(first).toBe(second);
    expect(Buffer.byteLength(first ?? "")).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, "utf8").trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/generated a development key/);
    // An explicit key always wins.
    expect(loadConfig({ JWT_SIGNING_KEY: "mine" }, { devSigningKey: () => "generated" }).jwt.signingKey).toBe("mine");
  });

  it("gives each worker its share of the cores for password hashes, unless PASSWORD_HASH_CONCURRENCY says", () => {
    const cores = availableParallelism();
    const withWorkers = (workers: number, extra: Record<string, string> = {}) =>
      loadConfig({
        JWT_SIGNING_KEY: KEY,
        DATABASE_URL: "postgres://h/db",
        WEB_CONCURRENCY: String(workers),
        ...extra,
      }).passwordHashConcurrency;
    expect(withWorkers(1)).toBe(cores);
    expect(withWorkers(cores)).toBe(1);
    expect(withWorkers(cores * 4)).toBe(1);
    expect(loadConfig({ JWT_SIGNING_KEY: KEY }).passwordHashConcurrency).toBe(cores);
    expect(withWorkers(cores, { PASSWORD_HASH_CONCURRENCY: "3" })).toBe(3);
    expect(problems({ PASSWORD_HASH_CONCURRENCY: "0" })).toEqual([
      'PASSWORD_HASH_CONCURRENCY: must be at least 1 (got "0")',
    ]);
  });

  it("runs one process on embedded PGlite whatever WEB_CONCURRENCY says, and says so", () => {
    const config = loadConfig({ JWT_SIGNING_KEY: KEY, WEB_CONCURRENCY: "4" });
    expect(config.http.workers).toBe(1);
    expect(config.notices).toEqual([expect.stringContaining("WEB_CONCURRENCY=4 ignored")]);
    expect(
      loadConfig({ JWT_SIGNING_KEY: KEY, DATABASE_URL: "postgres://h/db", WEB_CONCURRENCY: "4" }).http.workers,
    ).toBe(4);
  });
});
