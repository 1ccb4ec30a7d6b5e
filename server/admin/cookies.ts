import type { IncomingHttpHeaders } from "node:http";
import type { Config } from "../config/config.js";
import { parseCookies, serializeCookie } from "../http/cookies.js";

// The console's two cookies, both HttpOnly, SameSite=Strict and scoped to
// /admin/: the session, and before sign-in a random value the sign-in form's
// CSRF token is bound to.

export const ADMIN_PATH = "/admin/";
const PRE_SESSION_SECONDS = 3600;

export interface AdminCookies {
  session: string | undefined;
  preSession: string | undefined;
  setSession(token: string, maxAge: number): string;
  clearSession(): string;
  setPreSession(value: string): string;
}

export function adminCookies(settings: Config["admin"], headers: IncomingHttpHeaders): AdminCookies {
  // With Secure, a plain-named cookie could have been planted over http: only the prefixed name is read.
  const prefix = settings.secureCookie ? "__Secure-" : "";
  const sessionName = `${prefix}admin_session`;
  const preSessionName = `${prefix}admin_presession`;
  const cookies = parseCookies(headers.cookie);
  const write = (name: string, value: string, maxAge: number) =>
    serializeCookie(name, value, {
      path: ADMIN_PATH,
      maxAge,
      httpOnly: true,
      secure: settings.secureCookie,
      sameSite: "Strict",
    });
  return {
    session: cookies.get(sessionName) || undefined,
    preSession: cookies.get(preSessionName) || undefined,
    setSession: (token, maxAge) => write(sessionName, token, maxAge),
    clearSession: () => write(sessionName, "", 0),
    setPreSession: (value) => write(preSessionName, value, PRE_SESSION_SECONDS),
  };
}
