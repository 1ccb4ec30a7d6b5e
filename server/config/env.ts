import { isIP } from "node:net";
import { z } from "zod";
import { JWT_ALGORITHMS } from "../signing-keys.js";

// The environment's variables and how each is read: the one schema. Values are
// parsed here; what they mean together is decided in config.ts.

const blankToUndefined = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

const optionalText = z.preprocess(blankToUndefined, z.string().trim().optional());

const seconds = (fallback: number, min = 1) =>
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
          .min(min, `must be at least ${min} second${min === 1 ? "" : "s"}`)
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

export const envSchema = z.object({
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
  PASSWORD_HASH_CONCURRENCY: positiveInt(256),
  DATABASE_URL: urlWithScheme(["postgres:", "postgresql:"], "postgres://user:password@host:5432/dbname"),
  PGLITE_DIR: optionalText,
  DATABASE_PREPARED_STATEMENTS: bool(true),
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
  // RFC 9700 §4.14.2: a rotated token presented again this soon gets the same successor (0: reuse at once).
  REFRESH_TOKEN_REUSE_INTERVAL: seconds(10, 0),
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
  REFRESH_COOKIE: bool(false),
  REFRESH_COOKIE_SAMESITE: z.preprocess(
    (value) => (typeof value === "string" ? blankToUndefined(value.trim().toLowerCase()) : value),
    z.enum(["strict", "lax"], { error: "must be strict or lax" }).default("strict"),
  ),
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
  // Strong authentication (see config/strong-auth.ts for what they mean together).
  WEBAUTHN_RP_ID: optionalText,
  WEBAUTHN_RP_NAME: z.preprocess(
    blankToUndefined,
    z.string().trim().max(64, "must be at most 64 characters").optional(),
  ),
  WEBAUTHN_ORIGINS: z.preprocess(blankToUndefined, z.string().optional()),
  REQUIRE_EMAIL_VERIFICATION: bool(false),
  EMAIL_VERIFICATION_URL: urlWithScheme(["http:", "https:"], "https://app.example.com/verify-email"),
  EMAIL_VERIFICATION_TIMEOUT: seconds(86400),
  STEP_UP_MAX_AGE: seconds(600),
  // The staff console at /admin/ (server/admin/).
  ADMIN_CONSOLE: bool(true),
  ADMIN_SESSION_LIFETIME: seconds(8 * 3600, 60),
  PRUNE_INTERVAL: seconds(900),
  // How long a shutdown waits for requests in flight before it cuts them.
  SHUTDOWN_TIMEOUT: seconds(10),
  // Django's DATA_UPLOAD_MAX_MEMORY_SIZE: what the service it replaces accepted.
  MAX_BODY_BYTES: positiveInt(64 * 1024 * 1024).default(2_621_440),
  METRICS_TOKEN: z.preprocess(blankToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
  // Read before the rest (env-file.ts): listed here so that it is documented and checked like the others.
  ENV_FILE: optionalText,
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        error: "must be one of fatal, error, warn, info, debug, trace, silent",
      })
      .default("info"),
  ),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The environment, parsed; a ConfigError naming every variable that is wrong. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message} (got ${show(source, issue.path)})`),
    );
  }
  return parsed.data;
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
