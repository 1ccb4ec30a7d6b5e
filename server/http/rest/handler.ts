import type { IncomingMessage } from "node:http";
import { createContext } from "../../context.js";
import type { Deps } from "../../deps.js";
import { AUTH_FAILURES, normalise, texts } from "../../errors.js";
import { invokeProcedure } from "../../procedure-table.js";
import { deviceTokenHeaders } from "../device-token.js";
import { requestInfoReader } from "../request-info.js";
import type { Reply } from "../respond.js";
import { parseBody, readBody } from "./body.js";
import { coerce } from "./coerce.js";
import { type CompiledRoute, compileRoutes, exactPaths, type PathEntry, pathParams } from "./compile.js";
import { toRestError } from "./errors.js";
import { acceptsJson, json } from "./render.js";
import { type RestRoute, routes } from "./routes.js";

export interface RestResponse extends Reply {
  /** The matched route's template, for metrics and logs. */
  route?: string;
}

export type RestHandler = (req: IncomingMessage, url: URL) => Promise<RestResponse>;

/**
 * The REST bridge: Django-compatible paths, bodies and errors, served by the
 * same procedures as tRPC, called as tRPC's own adapters call them. It finds
 * the route and hands the procedure a lazy input: authentication is the
 * procedure's first middleware, so a bad token is refused before the body is
 * read, as DRF does, without the bridge knowing what a token is.
 */
export function createRestHandler(
  deps: Deps,
  onInternalError: (error: unknown, req: IncomingMessage) => void,
): RestHandler {
  const entries = compileRoutes(routes);
  const exact = exactPaths(entries);
  const readRequest = requestInfoReader(deps.config.http.trustedProxies);
  const secureCookie = deps.config.env === "production";

  const fail = (error: unknown, req: IncomingMessage, allow: string, route?: RestRoute, input?: unknown): Reply => {
    const app = normalise(error, input);
    if (app.code === "internal_error") onInternalError(app.cause ?? error, req);
    if (AUTH_FAILURES.has(app.code)) deps.metrics.authFailure(app.code);
    const rest = toRestError(app, route);
    return json(rest.status, rest.body, { ...rest.headers, Allow: allow });
  };

  return async (req, url) => {
    const path = url.pathname;
    const hit = exact.get(path.endsWith("/") ? path.slice(0, -1) : path);
    if (hit) return withRoute(await serve(req, url, hit, NO_CAPTURES), hit);
    for (const entry of entries) {
      const match = entry.pattern.exec(path);
      if (match) return withRoute(await serve(req, url, entry, match.slice(1)), entry);
    }
    return json(404, { detail: texts.notFound });
  };

  async function serve(req: IncomingMessage, url: URL, entry: PathEntry, captures: readonly string[]): Promise<Reply> {
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
    const compiled = entry.byMethod.get(method)?.find(({ route }) => route.when?.(url) ?? true);
    // DRF negotiates the response's format before anything else.
    if (!acceptsJson(req.headers.accept)) {
      return json(406, { detail: "Could not satisfy the request Accept header." }, { Allow: entry.allow });
    }
    const ctx = createContext(deps, readRequest(req));
    const params = compiled && pathParams(entry, captures);
    if (!compiled || !params) {
      try {
        if (entry.authenticateFirst) await invokeProcedure(entry.authenticateFirst, "rest.authenticate", ctx, noInput);
      } catch (error) {
        return fail(error, req, entry.allow);
      }
      if (compiled) return json(404, { detail: texts.notFound }, { Allow: entry.allow });
      if (method === "OPTIONS") return json(200, {}, { Allow: entry.allow });
      return json(405, { detail: `Method "${req.method}" not allowed.` }, { Allow: entry.allow });
    }

    const { route } = compiled;
    // Read at most once, when the procedure asks (after authentication); a second ask gets the same answer.
    let input: unknown;
    let reading: Promise<unknown> | undefined;
    const readInput = () => {
      if (!compiled.takesInput) return NO_INPUT;
      reading ??= requestInput(req, url, compiled, params, deps.config.http.maxBodyBytes).then((value) => {
        input = value;
        return value;
      });
      return reading;
    };
    try {
      const output = await invokeProcedure(compiled.procedure, route.procedure, ctx, readInput);
      const headers = { Allow: entry.allow, ...deviceTokenHeaders(ctx.reply, secureCookie) };
      const status = route.status ?? 200;
      if (status === 204) return { status, headers, body: undefined };
      return json(status, route.present ? route.present(output as never, req, url) : output, headers);
    } catch (error) {
      return fail(error, req, entry.allow, route, input);
    }
  }
}

const NO_INPUT: Promise<unknown> = Promise.resolve(undefined);
const noInput = () => NO_INPUT;

const NO_CAPTURES: readonly string[] = [];

/** Replies are built per request, so the route is added in place. */
function withRoute(reply: RestResponse, entry: PathEntry): RestResponse {
  reply.route = entry.template;
  return reply;
}

async function requestInput(
  req: IncomingMessage,
  url: URL,
  { route, plan }: CompiledRoute,
  params: Record<string, number | string>,
  maxBodyBytes: number,
): Promise<unknown> {
  if (route.method === "GET" || route.method === "DELETE") {
    return Object.assign(coerce(Object.fromEntries(url.searchParams), plan), params);
  }
  const body = await parseBody(req.headers["content-type"], await readBody(req, maxBodyBytes));
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  // Path parameters win over the body: a task's id comes from its URL only.
  return Object.assign(coerce(body as Record<string, unknown>, plan), params);
}
