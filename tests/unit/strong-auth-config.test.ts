import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config/config.js";

const KEY = "k".repeat(32);
const PRODUCTION = {
  NODE_ENV: "production",
  JWT_SIGNING_KEY: KEY,
  SECRET_KEY: "s".repeat(32),
  METRICS_TOKEN: "m".repeat(32),
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ JWT_SIGNING_KEY: KEY, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("strong-authentication settings", () => {
  it("defaults: passkeys on localhost outside production, off in production; email verification off", () => {
    const development = loadConfig({ JWT_SIGNING_KEY: KEY, PORT: "8000" });
    expect(development.webauthn).toEqual({ rpId: "localhost", rpName: "JWT Auth", origins: ["http://localhost:8000"] });
    expect(development.emailVerification).toEqual({ required: false, url: undefined, timeout: 86400 });
    expect(loadConfig(PRODUCTION).webauthn).toBeUndefined();
    expect(Object.isFrozen(development.webauthn?.origins)).toBe(true);
  });

  it("reads the relying party and its origins, and the verification settings", () => {
    const config = loadConfig({
      ...PRODUCTION,
      WEBAUTHN_RP_ID: "Example.com",
      WEBAUTHN_RP_NAME: "Example",
      WEBAUTHN_ORIGINS: "https://example.com, https://app.example.com,android:apk-key-hash:abcdefghijklmnopqrstuvwxyz",
      REQUIRE_EMAIL_VERIFICATION: "yes",
      EMAIL_VERIFICATION_URL: "https://example.com/verify",
      EMAIL_VERIFICATION_TIMEOUT: "3600",
    });
    expect(config.webauthn).toEqual({
      rpId: "example.com",
      rpName: "Example",
      origins: ["https://example.com", "https://app.example.com", "android:apk-key-hash:abcdefghijklmnopqrstuvwxyz"],
    });
    expect(config.emailVerification).toEqual({ required: true, url: "https://example.com/verify", timeout: 3600 });
    expect(loadConfig({ ...PRODUCTION, WEBAUTHN_RP_ID: "example.com" }).webauthn?.origins).toEqual([
      "https://example.com",
    ]);
  });

  it("stops start-up, naming the variable, for origins the RP ID cannot serve", () => {
    expect(problems({ WEBAUTHN_RP_ID: "https://example.com" })).toEqual([
      'WEBAUTHN_RP_ID: must be a domain name, without scheme or port (got "https://example.com")',
    ]);
    expect(
      problems({ WEBAUTHN_RP_ID: "example.com", WEBAUTHN_ORIGINS: "https://evil.com,http://example.com" }),
    ).toEqual([
      'WEBAUTHN_ORIGINS: "https://evil.com" is not on WEBAUTHN_RP_ID "example.com" or a subdomain of it',
      'WEBAUTHN_ORIGINS: "http://example.com" must use https (http only for localhost)',
    ]);
    expect(problems({ WEBAUTHN_ORIGINS: "http://localhost:3000/app" })).toEqual([
      'WEBAUTHN_ORIGINS: "http://localhost:3000/app" is not an origin (scheme://host[:port], no path or trailing slash)',
    ]);
    expect(problems({ WEBAUTHN_ORIGINS: "https://notexample.com", WEBAUTHN_RP_ID: "example.com" })).toHaveLength(1);
    expect(problems({ ...PRODUCTION, WEBAUTHN_ORIGINS: "https://example.com" })).toEqual([
      "WEBAUTHN_ORIGINS: needs WEBAUTHN_RP_ID",
    ]);
    expect(problems({ REQUIRE_EMAIL_VERIFICATION: "maybe" })).toEqual([
      'REQUIRE_EMAIL_VERIFICATION: must be true or false (got "maybe")',
    ]);
    expect(problems({ EMAIL_VERIFICATION_URL: "ftp://x" })[0]).toMatch(/^EMAIL_VERIFICATION_URL: must be a URL like/);
  });
});
