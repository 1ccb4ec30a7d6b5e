import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import { z } from "zod";
import {
  type AsymmetricAlgorithm,
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type KeyResult,
  parsePrivateKey,
  parseRetiredKeys,
  type RetiredKey,
} from "./signing-keys.js";

/**
 * The environment, validated once at start-up. Nothing else reads `process.env`:
 * `loadConfig` builds a frozen `Config` that the composition root passes down.
 */

const blankToUndefined = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

const optionalText = z.preprocess(blankToUndefined, z.string().trim().optional());

const seconds = (fallback: number) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\s*\d+\s*$/, "must be a whole number of seconds")
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(1, "must be at least 1 second")
          .max(10 * 365 * 86400, "is too large"),
      )
      .default(fallback),
  );

const positiveInt = (max: number) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\s*\d+\s*$/, "must be a whole number")
      .transform(Number)
      .pipe(z.number().int().min(1, "must be at least 1").max(max, `must be at most ${max}`))
      .optional(),
  );

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);
const bool = (fallback: boolean) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((value, ctx) => {
        const normalized = value.trim().toLowerCase();
        if (TRUE.has(normalized)) return true;
        if (FALSE.has(normalized)) return false;
        ctx.addIssue({ code: "custom", message: "must be true or false" });
        return z.NEVER;
      })
      .default(fallback),
  );

const urlWithScheme = (schemes: string[], example: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine((value) => {
        try {
          return schemes.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      }, `must be a URL like ${example}`)
      .optional(),
  );

const origins = z.preprocess(
  blankToUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const list = (value ?? "")
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean);
      for (const origin of list) {
        let parsed: URL | undefined;
        try {
          parsed = new URL(origin);
        } catch {
          parsed = undefined;
        }
        if (!parsed || parsed.origin !== origin) {
          ctx.addIssue({
            code: "custom",
            message: `"${origin}" is not an origin (scheme://host[:port], no path or trailing slash)`,
          });
        }
      }
      return list;
    }),
);

function isAddressOrSubnet(entry: string): boolean {
  const [address = "", prefix, ...rest] = entry.split("/");
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

const envSchema = z.object({
  NODE_ENV: z.preprocess(
    blankToUndefined,
    z
      .enum(["development", "production", "test"], { error: "must be development, production or test" })
      .default("development"),
  ),
  HOST: optionalText,
  PORT: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\s*\d+\s*$/, "must be a port number")
      .transform(Number)
      .pipe(z.number().int().min(0).max(65535, "must be a port number (0-65535)"))
      .default(8000),
  ),
  WEB_CONCURRENCY: positiveInt(256),
  DATABASE_URL: urlWithScheme(["postgres:", "postgresql:"], "postgres://user:password@host:5432/dbname"),
  PGLITE_DIR: optionalText,
  MAIL_OUTBOX_DIR: optionalText,
  JWT_SIGNING_KEY: z.preprocess(blankToUndefined, z.string().optional()),
  JWT_ALGORITHM: z.preprocess(
    blankToUndefined,
    z.enum(JWT_ALGORITHMS, { error: "must be HS256, RS256 or EdDSA" }).default("HS256"),
  ),
  JWT_PRIVATE_KEY: z.preprocess(blankToUndefined, z.string().optional()),
  JWT_PRIVATE_KEY_FILE: optionalText,
  JWT_RETIRED_KEYS: z.preprocess(blankToUndefined, z.string().optional()),
  JWT_RETIRED_KEYS_FILE: optionalText,
  SECRET_KEY: z.preprocess(blankToUndefined, z.string().optional()),
  ACCESS_TOKEN_LIFETIME: seconds(300),
  REFRESH_TOKEN_LIFETIME: seconds(86400),
  ROTATE_REFRESH_TOKENS: bool(true),
  BLACKLIST_AFTER_ROTATION: bool(true),
  SMTP_URL: urlWithScheme(["smtp:", "smtps:"], "smtp://user:password@host:587"),
  EMAIL_FROM: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(
        /^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/,
        'must be an address like "App <no-reply@example.com>"',
      )
      .default("webmaster@localhost"),
  ),
  CORS_ALLOWED_ORIGINS: origins,
  CORS_ALLOW_CREDENTIALS: bool(false),
  TRUSTED_PROXIES: z.preprocess(
    blankToUndefined,
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        const list = (value ?? "")
          .split(",")
          .map((part) => part.trim())
          .filter(Boolean);
        for (const entry of list) {
          if (!isAddressOrSubnet(entry)) {
            ctx.addIssue({ code: "custom", message: `"${entry}" is not an IP address or a CIDR subnet` });
          }
        }
        return list;
      }),
  ),
  SESSION_MAX_LIFETIME: seconds(30 * 86400),
  PASSWORD_RESET_TIMEOUT: seconds(900),
  PASSWORD_RESET_URL: urlWithScheme(["http:", "https:"], "https://app.example.com/reset-password"),
  PRODUCT_NAME: z.preprocess(
    blankToUndefined,
    z.string().trim().max(60, "must be at most 60 characters").default("JWT Auth"),
  ),
  OTP_TTL: seconds(300),
  PRUNE_INTERVAL: seconds(900),
  // Django's DATA_UPLOAD_MAX_MEMORY_SIZE: what the service it replaces accepted.
  MAX_BODY_BYTES: positiveInt(64 * 1024 * 1024).default(2_621_440),
  METRICS_TOKEN: z.preprocess(blankToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        error: "must be one of fatal, error, warn, info, debug, trace, silent",
      })
      .default("info"),
  ),
});

type Env = z.infer<typeof envSchema>;

export interface Config {
  readonly env: Env["NODE_ENV"];
  readonly http: {
    readonly host: string | undefined;
    readonly port: number;
    readonly workers: number;
    readonly maxBodyBytes: number;
    readonly corsAllowedOrigins: readonly string[];
    readonly corsAllowCredentials: boolean;
    /** Proxies whose X-Forwarded-For is believed: addresses or CIDR subnets. */
    readonly trustedProxies: readonly string[];
    /** When set, /metrics asks for `Authorization: Bearer <token>`. */
    readonly metricsToken: string | undefined;
  };
  readonly database: { readonly url: string | undefined; readonly pgliteDir: string };
  readonly jwt: {
    readonly algorithm: JwtAlgorithm;
    /**
     * The HS256 secret: it signs under HS256; under RS256 or EdDSA it only
     * verifies (tokens issued before the switch, e.g. by the Django service).
     */
    readonly signingKey: string | undefined;
    /** PKCS#8 PEM; set exactly when the algorithm is asymmetric. */
    readonly privateKey: string | undefined;
    /** Public keys that no longer sign but still verify until their tokens expire. */
    readonly retiredKeys: readonly RetiredKey[];
    readonly accessTokenLifetime: number;
    readonly refreshTokenLifetime: number;
    readonly rotateRefreshTokens: boolean;
    readonly blacklistAfterRotation: boolean;
    /** A session (refresh-token family) ends this long after its login, whatever the rotations. */
    readonly sessionMaxLifetime: number;
  };
  readonly mail: {
    readonly smtpUrl: string | undefined;
    readonly from: string;
    readonly productName: string;
    /** Where the development transport writes .eml files when SMTP_URL is unset. */
    readonly outboxDir: string;
  };
  /** Keys for hashing codes and sealing mail at rest (SECRET_KEY, else JWT_SIGNING_KEY). */
  readonly secretKey: string;
  readonly passwordReset: { readonly timeout: number; readonly url: string | undefined };
  readonly otp: { readonly ttl: number };
  /** Seconds between background passes deleting expired tokens, codes, throttles and old mail. */
  readonly pruneInterval: number;
  readonly log: { readonly level: Env["LOG_LEVEL"] };
  /** Settings that were accepted but overridden, for the entry point to log. */
  readonly notices: readonly string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export const MIN_SIGNING_KEY_BYTES = 32;

export interface LoadConfigOptions {
  /** Supplies a signing key outside production when JWT_SIGNING_KEY is unset (see dev-key.ts). */
  devSigningKey?: () => string;
  /** Supplies a private key outside production when RS256 or EdDSA has none configured. */
  devPrivateKey?: (algorithm: AsymmetricAlgorithm) => string;
  /** Reads the *_FILE variables (after resolvePath); readFileSync by default. */
  readFile?: (path: string) => string;
  /** Resolves the relative folders (PGLITE_DIR, MAIL_OUTBOX_DIR); as given by default. */
  resolvePath?: (path: string) => string;
}

export function loadConfig(source: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message} (got ${show(source, issue.path)})`),
    );
  }
  const env = parsed.data;
  const resolvePath = options.resolvePath ?? ((path: string) => path);
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  const keys = resolveKeys(env, options, (path) => readFile(resolvePath(path)));
  const usesPglite = env.DATABASE_URL === undefined;
  const notices: string[] = [];
  if (usesPglite && (env.WEB_CONCURRENCY ?? 1) > 1) {
    notices.push(
      `WEB_CONCURRENCY=${env.WEB_CONCURRENCY} ignored: the embedded PGlite database serves one process; set DATABASE_URL to use several`,
    );
  }

  return deepFreeze({
    env: env.NODE_ENV,
    http: {
      host: env.HOST,
      port: env.PORT,
      // One embedded PGlite database cannot be shared between processes.
      workers: usesPglite ? 1 : (env.WEB_CONCURRENCY ?? availableParallelism()),
      maxBodyBytes: env.MAX_BODY_BYTES,
      corsAllowedOrigins: env.CORS_ALLOWED_ORIGINS,
      corsAllowCredentials: env.CORS_ALLOW_CREDENTIALS,
      trustedProxies: env.TRUSTED_PROXIES,
      metricsToken: env.METRICS_TOKEN,
    },
    database: { url: env.DATABASE_URL, pgliteDir: resolvePath(env.PGLITE_DIR ?? ".data/pglite") },
    jwt: {
      algorithm: env.JWT_ALGORITHM,
      signingKey: keys.signingKey,
      privateKey: keys.privateKey,
      retiredKeys: keys.retiredKeys,
      accessTokenLifetime: env.ACCESS_TOKEN_LIFETIME,
      refreshTokenLifetime: env.REFRESH_TOKEN_LIFETIME,
      rotateRefreshTokens: env.ROTATE_REFRESH_TOKENS,
      blacklistAfterRotation: env.BLACKLIST_AFTER_ROTATION,
      sessionMaxLifetime: Math.max(env.SESSION_MAX_LIFETIME, env.REFRESH_TOKEN_LIFETIME),
    },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.EMAIL_FROM,
      productName: env.PRODUCT_NAME,
      outboxDir: resolvePath(env.MAIL_OUTBOX_DIR ?? ".data/outbox"),
    },
    secretKey: keys.secretKey,
    passwordReset: { timeout: env.PASSWORD_RESET_TIMEOUT, url: env.PASSWORD_RESET_URL },
    otp: { ttl: env.OTP_TTL },
    pruneInterval: env.PRUNE_INTERVAL,
    log: { level: env.LOG_LEVEL },
    notices,
  });
}

interface Keys {
  signingKey: string | undefined;
  privateKey: string | undefined;
  retiredKeys: RetiredKey[];
  secretKey: string;
}

function resolveKeys(env: Env, options: LoadConfigOptions, readFile: (path: string) => string): Keys {
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

const SECRET_VARIABLES = new Set([
  "JWT_SIGNING_KEY",
  "JWT_PRIVATE_KEY",
  "JWT_RETIRED_KEYS",
  "SECRET_KEY",
  "SMTP_URL",
  "DATABASE_URL",
  "METRICS_TOKEN",
]);

function show(source: Record<string, string | undefined>, path: PropertyKey[]): string {
  const value = source[String(path[0])];
  if (value === undefined) return "nothing";
  // Never echo secrets into logs.
  if (SECRET_VARIABLES.has(String(path[0]))) {
    return "a value";
  }
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === "object") deepFreeze(child);
  }
  return Object.freeze(value);
}
