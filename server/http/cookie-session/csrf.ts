import type { IncomingHttpHeaders } from "node:http";
import { cookieMode } from "../../contracts/session-cookie.js";

/**
 * Why a cookie-mode call must be refused as cross-site, or undefined. Each
 * rule alone stops a form or a script on another site from spending the
 * browser's cookie (SameSite already keeps it from being sent cross-site):
 * - the custom header: a form cannot send it, and a script on another origin
 *   cannot without a CORS preflight, which only CORS_ALLOWED_ORIGINS pass;
 * - the Origin, which browsers send on every POST: one of CORS_ALLOWED_ORIGINS,
 *   or the server's own (its Host, as a reverse proxy passes it on).
 */
export function crossSiteRefusal(
  headers: IncomingHttpHeaders,
  allowedOrigins: ReadonlySet<string>,
): string | undefined {
  if (!headers[cookieMode.csrfHeader]) return `the ${cookieMode.csrfHeader} header is missing`;
  const origin = headers.origin;
  // Only non-browser clients send none; they act for nobody but themselves.
  if (origin === undefined || allowedOrigins.has(origin)) return undefined;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  return host !== undefined && host === headers.host ? undefined : `origin ${origin} is not allowed`;
}
