import { ConfigError, type Env } from "./env.js";

// Passkeys and email verification: what their variables mean together. The
// relying party's ID and origins decide which sites may run the WebAuthn
// ceremonies, so a wrong pair stops start-up rather than failing every ceremony.

export interface WebAuthnConfig {
  readonly rpId: string;
  readonly rpName: string;
  /** Exact origins (scheme://host[:port]) allowed to register and sign in. */
  readonly origins: readonly string[];
}

export interface EmailVerificationConfig {
  /** Sign-up mails a link, and login refuses an account whose address was never verified. */
  readonly required: boolean;
  readonly url: string | undefined;
  /** Seconds a verification link works. */
  readonly timeout: number;
}

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const ANDROID_ORIGIN = /^android:apk-key-hash:[A-Za-z0-9_-]{20,}$/;

const isLocalhost = (host: string) => host === "localhost" || host.endsWith(".localhost");

function originProblem(origin: string, rpId: string): string | undefined {
  if (ANDROID_ORIGIN.test(origin)) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `"${origin}" is not an origin (scheme://host[:port])`;
  }
  if (url.origin !== origin) return `"${origin}" is not an origin (scheme://host[:port], no path or trailing slash)`;
  if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
    return `"${origin}" is not on WEBAUTHN_RP_ID "${rpId}" or a subdomain of it`;
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLocalhost(url.hostname))) {
    return `"${origin}" must use https (http only for localhost)`;
  }
  return undefined;
}

/**
 * Passkeys are on with `localhost` outside production, and in production only
 * once WEBAUTHN_RP_ID is set; undefined means off.
 */
export function resolveWebAuthn(env: Env): WebAuthnConfig | undefined {
  const rpId = env.WEBAUTHN_RP_ID?.toLowerCase() ?? (env.NODE_ENV === "production" ? undefined : "localhost");
  if (rpId === undefined) {
    if (env.WEBAUTHN_ORIGINS !== undefined) throw new ConfigError(["WEBAUTHN_ORIGINS: needs WEBAUTHN_RP_ID"]);
    return undefined;
  }
  if (!DOMAIN.test(rpId)) {
    throw new ConfigError([`WEBAUTHN_RP_ID: must be a domain name, without scheme or port (got "${rpId}")`]);
  }
  const origins = env.WEBAUTHN_ORIGINS?.split(",")
    .map((part) => part.trim())
    .filter(Boolean) ?? [isLocalhost(rpId) ? `http://${rpId}:${env.PORT}` : `https://${rpId}`];
  const problems = origins.flatMap((origin) => originProblem(origin, rpId) ?? []);
  if (origins.length === 0) problems.push("at least one origin is needed");
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => `WEBAUTHN_ORIGINS: ${problem}`));
  return { rpId, rpName: env.WEBAUTHN_RP_NAME ?? env.PRODUCT_NAME, origins };
}

export function resolveEmailVerification(env: Env): EmailVerificationConfig {
  return {
    required: env.REQUIRE_EMAIL_VERIFICATION,
    url: env.EMAIL_VERIFICATION_URL,
    timeout: env.EMAIL_VERIFICATION_TIMEOUT,
  };
}
