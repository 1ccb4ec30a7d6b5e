import {
  type AsymmetricAlgorithm,
  type KeyResult,
  parsePrivateKey,
  parseRetiredKeys,
  type RetiredKey,
} from "../signing-keys.js";
import { ConfigError, type Env } from "./env.js";

// Which keys sign, verify and seal, from the variables that name them: keys
// given inline or in files, development keys when none is given outside
// production, and the lengths production insists on.

export const MIN_SIGNING_KEY_BYTES = 32;

export interface DevKeys {
  /** Supplies a signing key outside production when JWT_SIGNING_KEY is unset (see dev-key.ts). */
  devSigningKey?: () => string;
  /** Supplies a private key outside production when RS256 or EdDSA has none configured. */
  devPrivateKey?: (algorithm: AsymmetricAlgorithm) => string;
}

export interface Keys {
  signingKey: string | undefined;
  privateKey: string | undefined;
  retiredKeys: RetiredKey[];
  secretKey: string;
}

export function resolveKeys(env: Env, options: DevKeys, readFile: (path: string) => string): Keys {
  const production = env.NODE_ENV === "production";
  const longEnough = (name: "JWT_SIGNING_KEY" | "SECRET_KEY", value: string | undefined) => {
    if (production && value !== undefined && Buffer.byteLength(value, "utf8") < MIN_SIGNING_KEY_BYTES) {
      throw new ConfigError([
        `${name}: must be at least ${MIN_SIGNING_KEY_BYTES} bytes when NODE_ENV=production (got ${Buffer.byteLength(value, "utf8")})`,
      ]);
    }
    return value;
  };
  const devSecret = (name: string) => {
    if (production) throw new ConfigError([`${name}: is required when NODE_ENV=production`]);
    if (!options.devSigningKey) throw new ConfigError([`${name}: is required`]);
    return options.devSigningKey();
  };

  const signingKey = longEnough("JWT_SIGNING_KEY", env.JWT_SIGNING_KEY);
  const secret = longEnough("SECRET_KEY", env.SECRET_KEY);
  const retiredKeys = readRetiredKeys(env, readFile);
  const algorithm = env.JWT_ALGORITHM;

  if (algorithm === "HS256") {
    if (env.JWT_PRIVATE_KEY !== undefined || env.JWT_PRIVATE_KEY_FILE !== undefined) {
      const name = env.JWT_PRIVATE_KEY !== undefined ? "JWT_PRIVATE_KEY" : "JWT_PRIVATE_KEY_FILE";
      throw new ConfigError([`${name}: is only used with JWT_ALGORITHM=RS256 or EdDSA (JWT_ALGORITHM is HS256)`]);
    }
    const key = signingKey ?? devSecret("JWT_SIGNING_KEY");
    return { signingKey: key, privateKey: undefined, retiredKeys, secretKey: secret ?? key };
  }

  let privateKey = readPrivateKey(env, algorithm, readFile);
  if (privateKey === undefined) {
    if (production || !options.devPrivateKey) {
      throw new ConfigError([
        `JWT_PRIVATE_KEY_FILE: is required when JWT_ALGORITHM=${algorithm}${production ? " and NODE_ENV=production" : ""} (or JWT_PRIVATE_KEY)`,
      ]);
    }
    privateKey = checked("JWT_PRIVATE_KEY_FILE", parsePrivateKey(options.devPrivateKey(algorithm), algorithm));
  }
  // The signing key no longer signs, so something else must key the code hashes.
  const secretKey = secret ?? signingKey ?? devSecret("SECRET_KEY");
  return { signingKey, privateKey, retiredKeys, secretKey };
}

function readPrivateKey(env: Env, algorithm: AsymmetricAlgorithm, readFile: (path: string) => string) {
  if (env.JWT_PRIVATE_KEY !== undefined && env.JWT_PRIVATE_KEY_FILE !== undefined) {
    throw new ConfigError(["JWT_PRIVATE_KEY: set it or JWT_PRIVATE_KEY_FILE, not both"]);
  }
  if (env.JWT_PRIVATE_KEY !== undefined) {
    return checked("JWT_PRIVATE_KEY", parsePrivateKey(env.JWT_PRIVATE_KEY, algorithm));
  }
  if (env.JWT_PRIVATE_KEY_FILE !== undefined) {
    const pem = readVariableFile("JWT_PRIVATE_KEY_FILE", env.JWT_PRIVATE_KEY_FILE, readFile);
    return checked("JWT_PRIVATE_KEY_FILE", parsePrivateKey(pem, algorithm));
  }
  return undefined;
}

function readRetiredKeys(env: Env, readFile: (path: string) => string): RetiredKey[] {
  if (env.JWT_RETIRED_KEYS !== undefined && env.JWT_RETIRED_KEYS_FILE !== undefined) {
    throw new ConfigError(["JWT_RETIRED_KEYS: set it or JWT_RETIRED_KEYS_FILE, not both"]);
  }
  if (env.JWT_RETIRED_KEYS !== undefined) return checked("JWT_RETIRED_KEYS", parseRetiredKeys(env.JWT_RETIRED_KEYS));
  if (env.JWT_RETIRED_KEYS_FILE !== undefined) {
    const bundle = readVariableFile("JWT_RETIRED_KEYS_FILE", env.JWT_RETIRED_KEYS_FILE, readFile);
    return checked("JWT_RETIRED_KEYS_FILE", parseRetiredKeys(bundle));
  }
  return [];
}

function readVariableFile(name: string, path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (error) {
    throw new ConfigError([`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`]);
  }
}

function checked<T>(name: string, result: KeyResult<T>): T {
  if (!result.ok) throw new ConfigError([`${name}: ${result.problem}`]);
  return result.value;
}
