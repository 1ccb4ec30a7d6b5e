import type { Logger } from "../logger.js";

/** Origins warned about, per process; past this, a flood of made-up origins is not logged. */
const MAX_WARNED = 100;

/**
 * A browser origin that CORS refuses is usually a frontend someone forgot to
 * allow: it gets one warning naming the setting, once per origin. Same-origin
 * requests (the API reference page) carry an Origin too; they need no CORS.
 */
export function corsRefusalWarner(log: Logger): (origin: string, host: string | undefined) => void {
  const warned = new Set<string>();
  return (origin, host) => {
    if (warned.size >= MAX_WARNED || warned.has(origin) || sameOrigin(origin, host)) return;
    warned.add(origin);
    log.warn({ origin }, "CORS: refused a browser origin; add it to CORS_ALLOWED_ORIGINS to allow it");
    if (warned.size === MAX_WARNED) log.warn({ limit: MAX_WARNED }, "CORS: further refused origins are not logged");
  };
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
