import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { JwtAlgorithm, RetiredKey } from "../signing-keys.js";
import { type Env, parseEnv } from "./env.js";
import { type DevKeys, resolveKeys } from "./keys.js";
import {
  type EmailVerificationConfig,
  resolveEmailVerification,
  resolveWebAuthn,
  type WebAuthnConfig,
} from "./strong-auth.js";

export { ConfigError } from "./env.js";
export { MIN_SIGNING_KEY_BYTES } from "./keys.js";

// The configuration object, built once at start-up from the environment and
// frozen. Nothing else reads `process.env`: the composition root passes this down.

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
    /**
     * Who may read /metrics: the bearer of METRICS_TOKEN when it is set; otherwise
     * anyone in development and no one in production (counts, routes and failure
     * rates are not for whoever can reach the port).
     */
    readonly metrics: { readonly token: string } | "open" | "closed";
    /** Seconds a shutdown waits for requests in flight. */
    readonly shutdownTimeout: number;
    /** Cookie mode's session endpoints (http/cookie-session/): off unless REFRESH_COOKIE. */
    readonly refreshCookie: {
      readonly enabled: boolean;
      readonly sameSite: "Strict" | "Lax";
      /** Secure (and `__Secure-`/`__Host-` names) in production; off elsewhere, so plain http://localhost works. */
      readonly secure: boolean;
    };
  };
  readonly database: {
    readonly url: string | undefined;
    readonly pgliteDir: string;
    /** Named statements, prepared once per connection; off behind a transaction-pooling PgBouncer. */
    readonly preparedStatements: boolean;
  };
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
    /** Seconds after a rotation during which the rotated token gets the same successor again (0: never). */
    readonly refreshReuseInterval: number;
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
  /** How many password hashes a worker runs at once (services/passwords.ts): its share of the cores. */
  readonly passwordHashConcurrency: number;
  readonly passwordReset: { readonly timeout: number; readonly url: string | undefined };
  readonly otp: { readonly ttl: number };
  /** Passkeys' relying party; undefined when passkeys are off (production without WEBAUTHN_RP_ID). */
  readonly webauthn: WebAuthnConfig | undefined;
  readonly emailVerification: EmailVerificationConfig;
  /** Seconds since the last authentication within which password, email and factors may change (step-up). */
  readonly stepUpMaxAge: number;
  /** The staff console at /admin/ (server/admin/). */
  readonly admin: {
    readonly enabled: boolean;
    /** Seconds a console sign-in lasts, however busy. */
    readonly sessionLifetime: number;
    /** Secure cookie outside development (plain http://localhost works there). */
    readonly secureCookie: boolean;
  };
  /** Seconds between background passes deleting expired tokens, codes, throttles and old mail. */
  readonly pruneInterval: number;
  readonly log: { readonly level: Env["LOG_LEVEL"] };
  /** Settings that were accepted but overridden, for the entry point to log. */
  readonly notices: readonly string[];
}

export interface LoadConfigOptions extends DevKeys {
  /** Reads the *_FILE variables (after resolvePath); readFileSync by default. */
  readFile?: (path: string) => string;
  /** Resolves the relative folders (PGLITE_DIR, MAIL_OUTBOX_DIR); as given by default. */
  resolvePath?: (path: string) => string;
}

export function loadConfig(source: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  const env = parseEnv(source);
  const resolvePath = options.resolvePath ?? ((path: string) => path);
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  const keys = resolveKeys(env, options, (path) => readFile(resolvePath(path)));
  const usesPglite = env.DATABASE_URL === undefined;
  const notices: string[] = [];
  if (env.NODE_ENV === "production" && env.METRICS_TOKEN === undefined) {
    notices.push("/metrics is closed: set METRICS_TOKEN to let Prometheus read it (docs/deployment.md)");
  }
  if (usesPglite && env.NODE_ENV === "production") {
    notices.push(
      "NODE_ENV=production on the embedded PGlite database: one process, no replication or backups; set DATABASE_URL (docs/deployment.md)",
    );
  }
  if (usesPglite && (env.WEB_CONCURRENCY ?? 1) > 1) {
    notices.push(
      `WEB_CONCURRENCY=${env.WEB_CONCURRENCY} ignored: the embedded PGlite database serves one process; set DATABASE_URL to use several`,
    );
  }

  if (env.REFRESH_COOKIE && env.CORS_ALLOWED_ORIGINS.length > 0 && !env.CORS_ALLOW_CREDENTIALS) {
    notices.push(
      "REFRESH_COOKIE=true with CORS_ALLOWED_ORIGINS but not CORS_ALLOW_CREDENTIALS: browsers on those origins will not send the cookie",
    );
  }

  // One embedded PGlite database cannot be shared between processes.
  const workers = usesPglite ? 1 : (env.WEB_CONCURRENCY ?? availableParallelism());

  return deepFreeze({
    env: env.NODE_ENV,
    http: {
      host: env.HOST,
      port: env.PORT,
      workers,
      maxBodyBytes: env.MAX_BODY_BYTES,
      corsAllowedOrigins: env.CORS_ALLOWED_ORIGINS,
      corsAllowCredentials: env.CORS_ALLOW_CREDENTIALS,
      trustedProxies: env.TRUSTED_PROXIES,
      metrics:
        env.METRICS_TOKEN !== undefined
          ? { token: env.METRICS_TOKEN }
          : env.NODE_ENV === "production"
            ? "closed"
            : "open",
      shutdownTimeout: env.SHUTDOWN_TIMEOUT,
      refreshCookie: {
        enabled: env.REFRESH_COOKIE,
        sameSite: env.REFRESH_COOKIE_SAMESITE === "lax" ? "Lax" : "Strict",
        secure: env.NODE_ENV === "production",
      },
    },
    database: {
      url: env.DATABASE_URL,
      pgliteDir: resolvePath(env.PGLITE_DIR ?? ".data/pglite"),
      preparedStatements: env.DATABASE_PREPARED_STATEMENTS,
    },
    jwt: {
      algorithm: env.JWT_ALGORITHM,
      signingKey: keys.signingKey,
      privateKey: keys.privateKey,
      retiredKeys: keys.retiredKeys,
      accessTokenLifetime: env.ACCESS_TOKEN_LIFETIME,
      refreshTokenLifetime: env.REFRESH_TOKEN_LIFETIME,
      rotateRefreshTokens: env.ROTATE_REFRESH_TOKENS,
      blacklistAfterRotation: env.BLACKLIST_AFTER_ROTATION,
      refreshReuseInterval: env.REFRESH_TOKEN_REUSE_INTERVAL,
      sessionMaxLifetime: Math.max(env.SESSION_MAX_LIFETIME, env.REFRESH_TOKEN_LIFETIME),
    },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.EMAIL_FROM,
      productName: env.PRODUCT_NAME,
      outboxDir: resolvePath(env.MAIL_OUTBOX_DIR ?? ".data/outbox"),
    },
    secretKey: keys.secretKey,
    passwordHashConcurrency: env.PASSWORD_HASH_CONCURRENCY ?? Math.max(1, Math.floor(availableParallelism() / workers)),
    passwordReset: { timeout: env.PASSWORD_RESET_TIMEOUT, url: env.PASSWORD_RESET_URL },
    otp: { ttl: env.OTP_TTL },
    webauthn: resolveWebAuthn(env),
    emailVerification: resolveEmailVerification(env),
    stepUpMaxAge: env.STEP_UP_MAX_AGE,
    admin: {
      enabled: env.ADMIN_CONSOLE,
      sessionLifetime: env.ADMIN_SESSION_LIFETIME,
      secureCookie: env.NODE_ENV !== "development",
    },
    pruneInterval: env.PRUNE_INTERVAL,
    log: { level: env.LOG_LEVEL },
    notices,
  });
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === "object") deepFreeze(child);
  }
  return Object.freeze(value);
}
