import type { IncomingMessage } from "node:http";

/**
 * django-cors-headers' behaviour: exact origin matches only, the origin echoed
 * (never `*`), on preflights and on every response, errors included.
 */
export interface CorsPolicy {
  /** Headers for a response to `req`; empty for origins that are not allowed. */
  headers(req: IncomingMessage): Readonly<Record<string, string>>;
  /** For a preflight, the headers of its empty 200 answer (no CORS headers for origins not allowed); else undefined. */
  preflight(req: IncomingMessage): Record<string, string> | undefined;
}

const ALLOW_METHODS = "DELETE, GET, OPTIONS, PATCH, POST, PUT";
// django-cors-headers' defaults, plus what the typed client sends.
const ALLOW_HEADERS =
  "accept, accept-encoding, authorization, content-type, dnt, origin, user-agent, x-csrftoken, x-requested-with, x-request-id, trpc-accept, x-device-token";
const PREFLIGHT_MAX_AGE = "86400";
const NONE: Readonly<Record<string, string>> = Object.freeze({});

export function createCorsPolicy(
  allowedOrigins: readonly string[],
  allowCredentials: boolean,
  onRefused: (origin: string, host: string | undefined) => void = () => {},
): CorsPolicy {
  const allowed = new Set(allowedOrigins);

  const headers = (req: IncomingMessage): Readonly<Record<string, string>> => {
    const origin = req.headers.origin;
    if (origin === undefined) return NONE;
    // django-cors-headers also accepts the origin with a trailing slash.
    if (!allowed.has(origin.replace(/\/$/, ""))) {
      onRefused(origin, req.headers.host);
      return NONE;
    }
    return {
      "Access-Control-Allow-Origin": origin,
      ...(allowCredentials ? { "Access-Control-Allow-Credentials": "true" } : {}),
      // Lets browser code read why it was refused or throttled.
      "Access-Control-Expose-Headers": "Retry-After, WWW-Authenticate, X-Request-Id, X-Device-Token",
      // Any OPTIONS from an allowed origin gets what a preflight needs.
      ...(req.method === "OPTIONS"
        ? {
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
          }
        : {}),
    };
  };

  return {
    headers,
    preflight(req) {
      if (req.method !== "OPTIONS" || req.headers["access-control-request-method"] === undefined) return undefined;
      return { ...headers(req), Vary: "Origin" };
    },
  };
}
