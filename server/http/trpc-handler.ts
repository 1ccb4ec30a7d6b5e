import type { IncomingMessage, RequestListener } from "node:http";
import type { TRPCError } from "@trpc/server";
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
    onError: reportTrpcError(deps, logInternal),
    responseMeta: ({ ctx, errors }) => ({
      headers: { ...(ctx && deviceTokenHeaders(ctx.reply, secureCookie)), ...errorHeaders(errors) },
    }),
  });
}

/** What a tRPC handler does with a failure: logs ours, counts authentication's. */
export function reportTrpcError(deps: Deps, logInternal: (error: unknown, req: IncomingMessage) => void) {
  return ({ error, req, path }: { error: TRPCError; req: IncomingMessage; path?: string | undefined }) => {
    const app = normalise(error);
    if (app.code === "internal_error") logInternal(app.cause ?? error, req);
    // The client's mistake, and its parser message would quote the body: no content, no alarm.
    else if (app.code === "parse_error")
      deps.log.debug({ path, requestId: req.headers["x-request-id"] }, "unparseable tRPC input");
    if (AUTH_FAILURES.has(app.code)) deps.metrics.authFailure(app.code);
  };
}

/** The headers a tRPC answer's errors call for: `WWW-Authenticate` on a 401, `Retry-After` when throttled. */
export function errorHeaders(errors: readonly TRPCError[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const failures = errors.map((error) => normalise(error));
  if (failures.some((app) => app.status === 401)) headers["WWW-Authenticate"] = 'Bearer realm="api"';
  const waits = failures.map((app) => app.retryAfter ?? 0);
  const wait = Math.max(0, ...waits);
  if (wait > 0) headers["Retry-After"] = String(wait);
  return headers;
}
