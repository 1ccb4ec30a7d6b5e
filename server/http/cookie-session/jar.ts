import type { IncomingHttpHeaders } from "node:http";
import type { Config } from "../../config/config.js";
import { cookieMode } from "../../contracts/session-cookie.js";
import { parseCookies, serializeCookie } from "../cookies.js";

/** The session's two cookies on one request: the refresh token read, both written to `sink` (Set-Cookie values). */
export interface SessionJar {
  refreshToken(): string | undefined;
  store(access: string, refresh: string): void;
  clear(): void;
}

export function sessionJar(
  settings: Config["http"]["refreshCookie"],
  fallbackLifetime: number,
  headers: IncomingHttpHeaders,
  sink: string[],
): SessionJar {
  const variant = settings.secure ? "secure" : "plain";
  const refreshName = cookieMode.cookies.refresh[variant];
  const accessName = cookieMode.cookies.access[variant];
  const attributes = (path: string, maxAge: number) => ({
    path,
    maxAge,
    httpOnly: true,
    secure: settings.secure,
    sameSite: settings.sameSite,
  });
  return {
    // Only the configured name: with Secure, a plain-named cookie may have been planted over http.
    refreshToken: () => parseCookies(headers.cookie).get(refreshName) || undefined,
    store(access, refresh) {
      // Both last as long as the session: the access cookie tells a server-side render that a
      // session exists even after the token in it has expired.
      const maxAge = secondsLeft(refresh) ?? fallbackLifetime;
      sink.push(
        serializeCookie(refreshName, refresh, attributes(cookieMode.path, maxAge)),
        serializeCookie(accessName, access, attributes("/", maxAge)),
      );
    },
    clear() {
      sink.push(
        serializeCookie(refreshName, "", attributes(cookieMode.path, 0)),
        serializeCookie(accessName, "", attributes("/", 0)),
      );
    },
  };
}

/** Seconds until a JWT's `exp` (the server issued it; its signature is checked when it is used). */
function secondsLeft(token: string): number | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      exp?: unknown;
    };
    return typeof claims.exp === "number" ? claims.exp - Math.floor(Date.now() / 1000) : undefined;
  } catch {
    return undefined;
  }
}
