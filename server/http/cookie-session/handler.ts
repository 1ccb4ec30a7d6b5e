import type { IncomingMessage, RequestListener } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { createContext, type RequestInfo } from "../../context.js";
import { cookieMode } from "../../contracts/session-cookie.js";
import type { Deps } from "../../deps.js";
import { errorHeaders, reportTrpcError } from "../trpc-handler.js";
import { sessionJar } from "./jar.js";
import { type CookieSessionContext, cookieSessionRouter } from "./router.js";

const NAMES: ReadonlySet<string> = new Set(Object.values(cookieMode.procedures));

/** A metric label for a cookie-mode path: a bounded set. */
export const cookieSessionRoute = (pathname: string): string => {
  const name = pathname.slice(cookieMode.path.length + 1);
  return `session:${NAMES.has(name) ? name : "unknown"}`;
};

/**
 * Cookie mode (REFRESH_COOKIE=true): the session endpoints under
 * /auth/session/, in tRPC's wire format through tRPC's own adapter, one call
 * per request. Their answers set the session's cookies and are never cached.
 */
export function createCookieSessionHandler(
  deps: Deps,
  readRequest: (req: IncomingMessage) => RequestInfo,
  logInternal: (error: unknown, req: IncomingMessage) => void,
): RequestListener {
  const { http, jwt } = deps.config;
  const allowedOrigins = new Set(http.corsAllowedOrigins);
  return createHTTPHandler({
    router: cookieSessionRouter,
    basePath: `${cookieMode.path}/`,
    maxBodySize: http.maxBodyBytes,
    allowBatching: false,
    createContext: ({ req }): CookieSessionContext => {
      const setCookies: string[] = [];
      return Object.assign(createContext(deps, readRequest(req)), {
        cookieSession: {
          headers: req.headers,
          allowedOrigins,
          jar: sessionJar(http.refreshCookie, jwt.refreshTokenLifetime, req.headers, setCookies),
          setCookies,
        },
      });
    },
    onError: reportTrpcError(deps, logInternal),
    responseMeta: ({ ctx, errors }) => {
      const headers = new Headers({ ...errorHeaders(errors), "Cache-Control": "no-store" });
      const setCookies = (ctx as CookieSessionContext | undefined)?.cookieSession.setCookies ?? [];
      for (const cookie of setCookies) headers.append("Set-Cookie", cookie);
      return { headers };
    },
  });
}
