import { isApiError } from "./errors.js";
import { cookieMode } from "./generated/api.js";
import { tokenClaims } from "./jwt.js";
import type { User } from "./stored.js";
import { createTransport } from "./transport.js";

// Server-side rendering in cookie mode: `@jwt-auth/client/server`.

export type ServerSession =
  /** The access cookie is good: who is signed in, and a token to call the API with on their behalf. */
  | { status: "signed-in"; access: string; user: User }
  /** No session cookie, or its user can no longer sign in. */
  | { status: "signed-out" }
  /**
   * The access cookie has expired (or was refused): the session may still be
   * alive. Render a loading state; the browser's SDK refreshes it (or finds it
   * ended) and sets a new cookie.
   */
  | { status: "expired" };

export interface GetSessionOptions {
  /** The auth server's origin, as the SSR server reaches it. */
  url: string;
  fetch?: typeof fetch;
}

/**
 * Who is signed in, from the Cookie header of a request the SSR server
 * received: the access cookie the auth server sets in cookie mode (on every
 * path of its origin; the refresh cookie never leaves the session endpoints),
 * checked by the server with one `user.me` call. Nothing is rotated, so
 * concurrent renders are safe; the SSR server and the auth server must share
 * the origin (a reverse proxy in front of both).
 */
export async function getSession(
  cookieHeader: string | null | undefined,
  options: GetSessionOptions,
): Promise<ServerSession> {
  const { secure, plain } = cookieMode.cookies.access;
  const access = readCookie(cookieHeader, secure) ?? readCookie(cookieHeader, plain);
  if (!access) return { status: "signed-out" };
  const { expiresAt } = tokenClaims(access);
  if (expiresAt !== undefined && expiresAt <= Date.now()) return { status: "expired" };
  const transport = createTransport(`${options.url.replace(/\/+$/, "")}/trpc`, options.fetch);
  try {
    const user = (await transport("user.me", "query", undefined, access)) as User;
    return { status: "signed-in", access, user };
  } catch (error) {
    if (isApiError(error, "token_not_valid")) return { status: "expired" };
    if (isApiError(error)) return { status: "signed-out" };
    throw error;
  }
}

function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const pair of (header ?? "").split(";")) {
    const at = pair.indexOf("=");
    if (at < 0 || pair.slice(0, at).trim() !== name) continue;
    const value = pair.slice(at + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}
