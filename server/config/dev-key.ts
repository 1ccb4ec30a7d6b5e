import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type AsymmetricAlgorithm, generatePrivateKey } from "../signing-keys.js";

/**
 * Outside production a missing JWT_SIGNING_KEY is replaced by a random key kept in
 * an ignored file, so tokens survive restarts of a development server.
 */
export function devSigningKey(file: string, warn: (message: string) => void): () => string {
  return () => keptInFile(file, "JWT_SIGNING_KEY", () => randomBytes(48).toString("base64url"), warn);
}

/** The same for RS256 and EdDSA without JWT_PRIVATE_KEY(_FILE): one PEM file per algorithm. */
export function devPrivateKey(folder: string, warn: (message: string) => void) {
  return (algorithm: AsymmetricAlgorithm): string =>
    keptInFile(
      join(folder, `jwt-private-key-${algorithm.toLowerCase()}.pem`),
      "JWT_PRIVATE_KEY_FILE",
      () => generatePrivateKey(algorithm),
      warn,
    );
}

function keptInFile(file: string, variable: string, generate: () => string, warn: (message: string) => void) {
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing.length > 0) {
      warn(`${variable} is not set; using the development key in ${file}`);
      return existing;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = generate().trim();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  warn(`${variable} is not set; generated a development key in ${file} (never use it in production)`);
  return key;
}
