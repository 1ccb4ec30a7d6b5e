import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config/config.js";
import { devPrivateKey } from "../../server/config/dev-key.js";
import { generatePrivateKey } from "../../server/signing-keys.js";

const SECRET = "s".repeat(32);
const rsa = generatePrivateKey("RS256");
const ed = generatePrivateKey("EdDSA");
// Through node:crypto rather than our parser, so the tests do not trust the code they check.
const publicPem = (pem: string) => String(createPublicKey(pem).export({ type: "spki", format: "pem" }));

function problems(env: Record<string, string>, options = {}): string[] {
  try {
    loadConfig(env, options);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const scratch = () => mkdtempSync(join(tmpdir(), "jwt-keys-"));

describe("asymmetric signing configuration", () => {
  it("takes an RS256 or EdDSA private key from the environment or a file, normalised to PKCS#8", () => {
    const inline = loadConfig({
      JWT_ALGORITHM: "EdDSA",
      JWT_PRIVATE_KEY: ed.replace(/\n/g, "\\n"),
      SECRET_KEY: SECRET,
    });
    expect(inline.jwt.algorithm).toBe("EdDSA");
    expect(inline.jwt.privateKey).toBe(ed);
    expect(inline.jwt.signingKey).toBeUndefined();
    expect(inline.secretKey).toBe(SECRET);

    const file = join(scratch(), "key.pem");
    const pkcs1 = String(createPrivateKey(rsa).export({ type: "pkcs1", format: "pem" }));
    expect(pkcs1).toContain("BEGIN RSA PRIVATE KEY");
    writeFileSync(file, pkcs1);
    const fromFile = loadConfig({ JWT_ALGORITHM: "RS256", JWT_PRIVATE_KEY_FILE: file, JWT_SIGNING_KEY: SECRET });
    expect(fromFile.jwt.privateKey).toBe(rsa);
    // The HS256 secret stays, to verify tokens issued before the switch and to key code hashes.
    expect(fromFile.jwt.signingKey).toBe(SECRET);
    expect(fromFile.secretKey).toBe(SECRET);
  });

  it("names the variable when a key is missing, unreadable, of the wrong kind or too weak", () => {
    expect(problems({ JWT_ALGORITHM: "PS512" })).toEqual([expect.stringMatching(/^JWT_ALGORITHM: must be HS256/)]);
    expect(problems({ JWT_ALGORITHM: "RS256", NODE_ENV: "production", SECRET_KEY: SECRET })).toEqual([
      "JWT_PRIVATE_KEY_FILE: is required when JWT_ALGORITHM=RS256 and NODE_ENV=production (or JWT_PRIVATE_KEY)",
    ]);
    expect(problems({ JWT_ALGORITHM: "RS256", JWT_PRIVATE_KEY: ed, SECRET_KEY: SECRET })).toEqual([
      "JWT_PRIVATE_KEY: is a key for EdDSA, but JWT_ALGORITHM is RS256",
    ]);
    expect(problems({ JWT_ALGORITHM: "EdDSA", JWT_PRIVATE_KEY: "not a key", SECRET_KEY: SECRET })).toEqual([
      "JWT_PRIVATE_KEY: is not a PEM private key",
    ]);
    const weak = String(
      generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }),
    );
    expect(problems({ JWT_ALGORITHM: "RS256", JWT_PRIVATE_KEY: weak, SECRET_KEY: SECRET })).toEqual([
      "JWT_PRIVATE_KEY: is an RSA key of 1024 bits; at least 2048 are needed",
    ]);
    const p256 = String(
      generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }),
    );
    expect(problems({ JWT_ALGORITHM: "EdDSA", JWT_PRIVATE_KEY: p256, SECRET_KEY: SECRET })[0]).toMatch(
      /^JWT_PRIVATE_KEY: is a ec key/,
    );
    expect(
      problems({ JWT_ALGORITHM: "EdDSA", JWT_PRIVATE_KEY_FILE: "/nonexistent/key.pem", SECRET_KEY: SECRET }),
    ).toEqual(["JWT_PRIVATE_KEY_FILE: cannot read /nonexistent/key.pem (ENOENT)"]);
    expect(
      problems({ JWT_ALGORITHM: "EdDSA", JWT_PRIVATE_KEY: ed, JWT_PRIVATE_KEY_FILE: "/x", SECRET_KEY: SECRET }),
    ).toEqual(["JWT_PRIVATE_KEY: set it or JWT_PRIVATE_KEY_FILE, not both"]);
    // A private key under HS256 would be a silent no-op: refuse it.
    expect(problems({ JWT_SIGNING_KEY: SECRET, JWT_PRIVATE_KEY: ed })).toEqual([
      "JWT_PRIVATE_KEY: is only used with JWT_ALGORITHM=RS256 or EdDSA (JWT_ALGORITHM is HS256)",
    ]);
  });

  it("never echoes key material in its messages", () => {
    const all = problems({ JWT_ALGORITHM: "nope", JWT_PRIVATE_KEY: ed, JWT_RETIRED_KEYS: "x" }).join("\n");
    expect(all).not.toContain("PRIVATE KEY");
  });

  it("in production asks for SECRET_KEY when no HS256 secret is left to key the code hashes", () => {
    expect(problems({ NODE_ENV: "production", JWT_ALGORITHM: "EdDSA", JWT_PRIVATE_KEY: ed })).toEqual([
      "SECRET_KEY: is required when NODE_ENV=production",
    ]);
    expect(
      problems({
        NODE_ENV: "production",
        JWT_ALGORITHM: "EdDSA",
        JWT_PRIVATE_KEY: ed,
        SECRET_KEY: SECRET,
        METRICS_TOKEN: "metrics-token-0123456789",
      }),
    ).toEqual([]);
  });

  it("reads retired keys from a PEM bundle of public or private keys, of either algorithm", () => {
    const oldRsa = generatePrivateKey("RS256");
    const bundle = `${publicPem(oldRsa)}\n${ed}`;
    const config = loadConfig({
      JWT_ALGORITHM: "EdDSA",
      JWT_PRIVATE_KEY: generatePrivateKey("EdDSA"),
      JWT_RETIRED_KEYS: bundle,
      SECRET_KEY: SECRET,
    });
    expect(config.jwt.retiredKeys.map((key) => key.algorithm)).toEqual(["RS256", "EdDSA"]);
    for (const key of config.jwt.retiredKeys) expect(key.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    // The private half of a retired key is never kept.
    expect(JSON.stringify(config.jwt.retiredKeys)).not.toContain("PRIVATE");
    expect(problems({ JWT_SIGNING_KEY: SECRET, JWT_RETIRED_KEYS: "nothing here" })).toEqual([
      "JWT_RETIRED_KEYS: holds no PEM key",
    ]);
  });

  it("outside production generates one private key per algorithm into an ignored file", () => {
    const folder = scratch();
    const warnings: string[] = [];
    const options = { devPrivateKey: devPrivateKey(folder, (m) => warnings.push(m)), devSigningKey: () => SECRET };
    const first = loadConfig({ JWT_ALGORITHM: "EdDSA" }, options).jwt.privateKey;
    const second = loadConfig({ JWT_ALGORITHM: "EdDSA" }, options).jwt.privateKey;
    expect(first).toBe(second);
    expect(readFileSync(join(folder, "jwt-private-key-eddsa.pem"), "utf8")).toContain("BEGIN PRIVATE KEY");
    expect(statSync(join(folder, "jwt-private-key-eddsa.pem")).mode & 0o777).toBe(0o600);
    expect(warnings[0]).toMatch(/JWT_PRIVATE_KEY_FILE is not set; generated a development key/);
  });
});
