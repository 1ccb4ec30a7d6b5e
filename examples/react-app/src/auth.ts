import { createClient } from "@jwt-auth/client";

/** Chosen when the app is built: `VITE_AUTH_MODE=cookie npm run build`. */
export const authMode = import.meta.env.VITE_AUTH_MODE === "cookie" ? "cookie" : "token";

export const client = createClient({
  url: window.location.origin,
  mode: authMode,
  // Token mode keeps the session in localStorage, shared by the tabs and kept across reloads. Cookie
  // mode keeps only the short-lived access token, in memory: the cookie is the session.
  storage: authMode === "token" ? localStorage : undefined,
});
