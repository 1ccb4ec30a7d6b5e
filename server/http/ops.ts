import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Deps } from "../deps.js";
import { databaseReady } from "../observability/health.js";
import { jsonReply, type Reply } from "./respond.js";

export interface Lifecycle {
  /** Set on SIGTERM: /readyz answers 503 so that load balancers stop sending traffic. */
  draining: boolean;
}

/** /healthz (the process answers), /readyz (and the database does), /metrics (Prometheus). */
export function createOpsHandler(deps: Deps, lifecycle: Lifecycle) {
  const access = deps.config.http.metrics;
  const allowed = (req: IncomingMessage) => {
    if (typeof access === "string") return access === "open";
    const given = Buffer.from(req.headers.authorization ?? "");
    const expected = Buffer.from(`Bearer ${access.token}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  // Verifiers may cache it briefly; a rotation keeps the old key listed for longer.
  const jwks = jsonReply(200, deps.tokens.jwks, { "Cache-Control": "public, max-age=300" });

  return async (pathname: string, req: IncomingMessage): Promise<Reply | undefined> => {
    if (pathname === "/healthz") return jsonReply(200, { status: "ok" });
    if (pathname === "/.well-known/jwks.json") return jwks;
    if (pathname === "/readyz") {
      if (lifecycle.draining) return jsonReply(503, { status: "draining" });
      const ready = await databaseReady(deps.db);
      return ready.ok
        ? jsonReply(200, { status: "ready" })
        : jsonReply(503, { status: "unavailable", detail: ready.detail });
    }
    if (pathname === "/metrics") {
      if (access === "closed") return jsonReply(404, { detail: "Not found." });
      if (!allowed(req)) return jsonReply(401, { detail: "Authentication credentials were not provided." });
      return { status: 200, headers: { "Content-Type": deps.metrics.contentType }, body: await deps.metrics.render() };
    }
    return undefined;
  };
}
