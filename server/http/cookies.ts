// Cookies, read and written (RFC 6265), for any part of the server that needs one.

/** The cookies of a `Cookie` header: the first of each name wins, as browsers send the most specific path first. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of (header ?? "").split(";")) {
    const at = pair.indexOf("=");
    if (at < 0) continue;
    const name = pair.slice(0, at).trim();
    if (name === "" || cookies.has(name)) continue;
    let value = pair.slice(at + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      cookies.set(name, value);
    }
  }
  return cookies;
}

export interface CookieAttributes {
  path: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  httpOnly: boolean;
  secure: boolean;
  sameSite: "Strict" | "Lax";
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A `Set-Cookie` value. Names must be RFC 7230 tokens; values are percent-encoded where needed. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  if (!TOKEN.test(name)) throw new Error(`not a cookie name: ${name}`);
  if (!attributes.path.startsWith("/") || /[;\s]/.test(attributes.path))
    throw new Error(`not a cookie path: ${attributes.path}`);
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${attributes.path}`,
    `Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`,
    ...(attributes.httpOnly ? ["HttpOnly"] : []),
    ...(attributes.secure ? ["Secure"] : []),
    `SameSite=${attributes.sameSite}`,
  ].join("; ");
}
