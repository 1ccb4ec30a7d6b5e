import type { IncomingMessage, RequestListener } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { RequestInfo } from "../context.js";
import { createContext } from "../context.js";
import type { Deps } from "../deps.js";
import { AUTH_FAILURES, normalise } from "../errors.js";
import { appRouter } from "../routers/app.js";
import { deviceTokenHeaders } from "./device-token.js";

/** Calls in one tRPC batch request; more is a 400. */
export const TRPC_MAX_BATCH = 10;

/** tRPC's official node:http adapter, under /trpc/. */
export function createTrpcHandler(
  deps: Deps,
  readRequest: (req: IncomingMessage) => RequestInfo,
  logInternal: (error: unknown, req: IncomingMessage) => void,
): RequestListener {
  const secureCookie = deps.config.env === "production";
  return createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: deps.config.http.maxBodyBytes,
    maxBatchSize: TRPC_MAX_BATCH,
    createContext: ({ req }) => createContext(deps, readRequest(req)),
    onError: ({ error, req }) => {
      const app = normalise(error);
      if (app.code === "internal_error") logInternal(app.cause ?? error, req);
      if (AUTH_FAILURES.has(app.code)) deps.metrics.authFailure(app.code);
    },
    responseMeta: ({ ctx, errors }) => {
      const headers: Record<string, string> = { ...(ctx && deviceTokenHeaders(ctx.reply, secureCookie)) };
      const failures = errors.map((error) => normalise(error));
      if (failures.some((app) => app.status === 401)) headers["WWW-Authenticate"] = 'Bearer realm="api"';
      const waits = failures.map((app) => app.retryAfter ?? 0);
      const wait = Math.max(0, ...waits);
      if (wait > 0) headers["Retry-After"] = String(wait);
      return { headers };
    },
  });
}
