import type { IncomingHttpHeaders } from "node:http";
import type { Secrets } from "../crypto/secrets.js";

// A synchronizer token bound to the cookie that identifies the browser (the
// session's, or before sign-in a random one): an HMAC of it, so a page of
// another site, which can neither read the cookie nor the page, cannot forge
// it. Compared in constant time.

export const csrfFor = (secrets: Secrets, cookie: string) =>
  Buffer.from(secrets.adminCsrfMac(cookie)).toString("base64url");

export function csrfValid(secrets: Secrets, cookie: string | undefined, presented: string | undefined): boolean {
  if (!cookie || !presented) return false;
  const expected = secrets.adminCsrfMac(cookie);
  const given = Buffer.from(presented, "base64url");
  return given.length === expected.length && secrets.equal(given, expected);
}

/** Browsers send Origin on every POST: it must be this server's (as the Host header names it). */
export function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}
