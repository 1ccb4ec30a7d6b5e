import { z } from "zod";

/**
 * Cookie mode (REFRESH_COOKIE=true): the browser keeps the refresh token in an
 * HttpOnly cookie that only the session endpoints receive, and JavaScript never
 * sees it. Shared by the server and, through `npm run generate`, the SDK.
 */
export const cookieMode = {
  /** The session endpoints (`<path>/<procedure>`, tRPC's wire format), and the refresh cookie's Path. */
  path: "/auth/session",
  procedures: {
    login: "login",
    verifyOtp: "verifyOtp",
    completeMfa: "completeMfa",
    refresh: "refresh",
    logout: "logout",
  },
  /**
   * Every call must carry this header (any value). A cross-site form cannot set
   * it, and a cross-site script cannot send it without a CORS preflight, which
   * only CORS_ALLOWED_ORIGINS pass.
   */
  csrfHeader: "x-requested-with",
  cookies: {
    /** The refresh token, sent to `path` only; `__Secure-` when the cookie is Secure (production). */
    refresh: { secure: "__Secure-jwt_refresh", plain: "jwt_refresh" },
    /** The access token, sent to every path, for server-side rendering; `__Host-` when Secure. */
    access: { secure: "__Host-jwt_access", plain: "jwt_access" },
  },
} as const;

/** What a cookie-mode login or refresh answers: the access token only. */
export const cookieSessionOutput = z.object({ access: z.string() });
export type CookieSessionOutput = z.infer<typeof cookieSessionOutput>;
