import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createAdminHandler } from "../admin/handler.js";
import { cookieMode } from "../contracts/session-cookie.js";
import type { Deps } from "../deps.js";
import { normalise } from "../errors.js";
import { accessLogger } from "../logger.js";
import { isProcedurePath } from "../procedure-table.js";
import { cookieSessionRoute, createCookieSessionHandler } from "./cookie-session/handler.js";
import { createCorsPolicy } from "./cors.js";
import { corsRefusalWarner } from "./cors-warnings.js";
import { createDocsHandler } from "./docs.js";
import { createOpsHandler, type Lifecycle } from "./ops.js";
import { requestInfoReader } from "./request-info.js";
import { answerMalformedRequest, jsonReply, SECURITY_HEADERS, send } from "./respond.js";
import { createRestHandler } from "./rest/handler.js";
import { rootReply } from "./root.js";
import { createTrpcHandler } from "./trpc-handler.js";

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const DOT_SEGMENT = /(^|\/)\.{1,2}(\/|$)/;

/**
 * One node:http server: tRPC under /trpc/ (the official adapter), the
 * Django-compatible REST bridge under /api/, the staff console under /admin/,
 * the docs, and the operational endpoints. Every request gets a request id, an access-log line and a metric.
 */
export function createHttpServer(deps: Deps, lifecycle: Lifecycle = { draining: false }): Server {
  const { config, log, metrics } = deps;
  const cors = createCorsPolicy(
    config.http.corsAllowedOrigins,
    config.http.corsAllowCredentials,
    corsRefusalWarner(log),
  );
  const logInternal = (error: unknown, req: IncomingMessage) =>
    log.error(
      { err: error, method: req.method, path: pathOf(req), requestId: req.headers["x-request-id"] },
      "request failed",
    );
  const readRequest = requestInfoReader(config.http.trustedProxies);
  const rest = createRestHandler(deps, logInternal);
  const trpc = createTrpcHandler(deps, readRequest, logInternal);
  const cookieSession = config.http.refreshCookie.enabled
    ? createCookieSessionHandler(deps, readRequest, logInternal)
    : undefined;
  const admin = config.admin.enabled ? createAdminHandler(deps, readRequest) : undefined;
  const docs = createDocsHandler();
  const accessLog = accessLogger(log);
  const ops = createOpsHandler(deps, lifecycle);

  const server = createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    // Shutting down: this connection ends after this answer.
    if (lifecycle.draining) res.setHeader("Connection", "close");
    const pathname = pathOf(req);
    const supplied = req.headers["x-request-id"];
    const requestId = typeof supplied === "string" && REQUEST_ID.test(supplied) ? supplied : randomUUID();
    req.headers["x-request-id"] = requestId;
    let route = "unmatched";
    res.once("close", metrics.requestStarted());
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(req.method ?? "", route, res.statusCode, seconds);
      // Paths only: a query string may carry what should not be logged.
      accessLog({
        requestId,
        method: req.method ?? "",
        path: pathname,
        route,
        status: res.statusCode,
        ms: Math.round(seconds * 1000),
      });
    });

    // What every response carries. Answers of our own write them with the status line in one
    // call: headers set one by one on the response cost more than the rest of a light request.
    const preflight = cors.preflight(req);
    if (preflight) {
      route = "preflight";
      res
        .writeHead(200, {
          "X-Request-Id": requestId,
          ...SECURITY_HEADERS,
          ...preflight,
          "Content-Type": "text/html; charset=utf-8",
          "Content-Length": "0",
        })
        .end();
      return;
    }
    // Built in one literal: adding properties one by one changes the object's shape each time.
    const common = { "X-Request-Id": requestId, ...SECURITY_HEADERS, Vary: "Origin", ...cors.headers(req) };

    const headOnly = req.method === "HEAD";
    try {
      // The URL parser would resolve `..` and `.` segments; Django never does: such paths name nothing.
      if (DOT_SEGMENT.test(pathname)) {
        send(res, jsonReply(404, { detail: "Not found." }), headOnly, common);
        return;
      }
      if (pathname.startsWith("/trpc/")) {
        route = trpcRoute(pathname.slice("/trpc/".length));
        setHeaders(res, common);
        trpc(req, res);
        return;
      }
      if (cookieSession && pathname.startsWith(`${cookieMode.path}/`)) {
        route = cookieSessionRoute(pathname);
        setHeaders(res, common);
        cookieSession(req, res);
        return;
      }
      if (admin && (pathname === "/admin" || pathname.startsWith("/admin/"))) {
        route = "admin";
        route = await admin(req, res, pathname, common);
        return;
      }
      if (req.method === "GET" || headOnly) {
        if (pathname === "/") {
          route = "/";
          send(res, rootReply(req), headOnly, common);
          return;
        }
        const opsReply = await ops(pathname, req);
        if (opsReply) {
          route = pathname;
          send(res, opsReply, headOnly, common);
          return;
        }
        if (docs(pathname, res, headOnly, common)) {
          route = pathname.startsWith("/api/docs") ? "/api/docs" : pathname;
          return;
        }
      }
      const url = new URL(req.url ?? "/", "http://localhost");
      const reply = await rest(req, url);
      route = reply.route ?? "unmatched";
      send(res, reply, headOnly, common);
    } catch (error) {
      const app = normalise(error);
      if (app.code === "internal_error") logInternal(error, req);
      if (!res.headersSent) send(res, jsonReply(app.status, { detail: app.message }), headOnly, common);
      else res.destroy();
    }
  });
  server.on("clientError", answerMalformedRequest);
  return server;
}

/** A metric label for a tRPC path: a bounded set (a label per path would let clients mint series). */
function trpcRoute(path: string): string {
  if (isProcedurePath(path)) return `trpc:${path}`;
  return path.split(",").every(isProcedurePath) ? "trpc:batch" : "trpc:unknown";
}

function setHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const name in headers) res.setHeader(name, headers[name] as string);
}

const pathOf = (req: IncomingMessage) => (req.url ?? "/").split("?")[0] ?? "/";
