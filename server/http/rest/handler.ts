import type { IncomingMessage } from "node:http";
import { type AnyTRPCProcedure, TRPCError } from "@trpc/server";
import { createContext } from "../../context.js";
import type { Deps } from "../../deps.js";
import { AUTH_FAILURES, fromUnknown, texts } from "../../errors.js";
import { proceduresByPath } from "../../routers/app.js";
import { type AccessClaims, loadTokenUser, verifyAccessToken } from "../../services/auth.js";
import { toAppError } from "../../trpc.js";
import { requestInfoReader } from "../request-info.js";
import type { Reply } from "../respond.js";
import { parseBody, readBody } from "./body.js";
import { type CoercionPlan, coerce, coercionPlan } from "./coerce.js";
import { toRestError } from "./errors.js";
import { procedureSchemas } from "./procedures.js";
import { type RestRoute, routes } from "./routes.js";

interface CompiledRoute {
  route: RestRoute;
  plan: CoercionPlan;
  procedure: AnyTRPCProcedure;
}

interface PathEntry {
  /** The path as declared, for metrics and logs. */
  template: string;
  pattern: RegExp;
  params: string[];
  textParams: ReadonlySet<string>;
  byMethod: Map<string, CompiledRoute[]>;
  /** DRF sends `Allow` on every response of a view, not only on 405. */
  allow: string;
  /** Every method here needs a token: DRF authenticates before it checks the method. */
  protected: boolean;
}

/** Paths match with or without the trailing slash; `:id` parameters match any segment (checked later). */
function compileRoutes(table: readonly RestRoute[]): PathEntry[] {
  const entries = new Map<string, PathEntry>();
  for (const route of table) {
    const bare = route.path.replace(/\/+$/, "");
    let entry = entries.get(bare);
    if (!entry) {
      const params: string[] = [];
      const source = bare.replace(/:([a-z]+)/gi, (_match, name: string) => {
        params.push(name);
        return "([^/]+)";
      });
      entry = {
        template: route.path,
        pattern: new RegExp(`^${source}/?$`),
        params,
        textParams: new Set(route.textParams ?? []),
        byMethod: new Map(),
        allow: "",
        protected: true,
      };
      entries.set(bare, entry);
    }
    const candidates = entry.byMethod.get(route.method) ?? [];
    candidates.push({
      route,
      plan: coercionPlan(procedureSchemas(route.procedure).input, route.lenientFields),
      procedure: procedureOf(route),
    });
    entry.byMethod.set(route.method, candidates);
    entry.protected &&= route.auth === true;
  }
  for (const entry of entries.values()) {
    const methods = [...entry.byMethod.keys()];
    if (methods.includes("GET")) methods.push("HEAD");
    entry.allow = [...methods, "OPTIONS"].join(", ");
  }
  return [...entries.values()];
}

/**
 * Paths without parameters, found without trying every pattern: keyed without
 * the trailing slash, and only where no earlier pattern would have matched first.
 */
function exactPaths(entries: readonly PathEntry[]): Map<string, PathEntry> {
  const exact = new Map<string, PathEntry>();
  entries.forEach((entry, index) => {
    if (entry.params.length > 0) return;
    const bare = entry.template.replace(/\/+$/, "");
    if (entries.slice(0, index).some((earlier) => earlier.pattern.test(bare))) return;
    exact.set(bare, entry);
  });
  return exact;
}

export interface RestResponse extends Reply {
  /** The matched route's template, for metrics and logs. */
  route?: string;
}

export type RestHandler = (req: IncomingMessage, url: URL) => Promise<RestResponse>;

/**
 * The REST bridge: Django-compatible paths, bodies and errors, served by the
 * same procedures as tRPC, called as tRPC's own adapters call them.
 */
export function createRestHandler(
  deps: Deps,
  onInternalError: (error: unknown, req: IncomingMessage) => void,
): RestHandler {
  const entries = compileRoutes(routes);
  const exact = exactPaths(entries);
  const readRequest = requestInfoReader(deps.config.http.trustedProxies);

  const fail = (error: unknown, req: IncomingMessage, allow: string, route?: RestRoute): Reply => {
    const app = error instanceof TRPCError ? toAppError(error) : fromUnknown(error);
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
    const route = compiled?.route;
    let claims: AccessClaims | undefined;
    // From here on the procedure's own middleware settles authentication's precedence.
    let procedureCalled = false;

    try {
      if (!acceptsJson(req.headers.accept)) {
        return json(406, { detail: "Could not satisfy the request Accept header." }, { Allow: entry.allow });
      }
      // DRF authenticates a protected view before it looks at the method, the id or the body. The
      // token is verified here; its user row by the procedure, in its own statement where it can,
      // or below, when the request fails first.
      const request = readRequest(req);
      if ((route ? route.auth : entry.protected) === true) {
        claims = await verifyAccessToken(deps, request.authorization);
        request.accessClaims = claims;
      }
      if (!compiled || !route) {
        if (claims) await loadTokenUser(deps.db, claims);
        if (method === "OPTIONS") return json(200, {}, { Allow: entry.allow });
        return json(405, { detail: `Method "${req.method}" not allowed.` }, { Allow: entry.allow });
      }
      const params = pathParams(entry, captures);
      if (!params) {
        if (claims) await loadTokenUser(deps.db, claims);
        return json(404, { detail: texts.notFound }, { Allow: entry.allow });
      }
      const input = await requestInput(req, url, compiled, params, deps.config.http.maxBodyBytes);
      // What tRPC's callProcedure does once it has found the procedure: found here at start.
      procedureCalled = true;
      const output: unknown = await compiled.procedure({
        path: route.procedure,
        type: compiled.procedure._def.type,
        ctx: createContext(deps, request),
        getRawInput: async () => input,
        input: undefined,
        signal: undefined,
        batchIndex: 0,
      });
      const status = route.status ?? 200;
      if (status === 204) return { status, headers: { Allow: entry.allow }, body: undefined };
      const body = route.present ? route.present(output as never, req, url) : output;
      return json(status, body, { Allow: entry.allow });
    } catch (error) {
      const settled = claims && !procedureCalled ? await authenticationFirst(error, claims) : error;
      return fail(settled, req, entry.allow, route);
    }
  }

  /** A request that failed before its token's user was read: authentication's error, if any, wins. */
  async function authenticationFirst(error: unknown, claims: AccessClaims): Promise<unknown> {
    const app = error instanceof TRPCError ? toAppError(error) : fromUnknown(error);
    if (AUTH_FAILURES.has(app.code)) return error;
    try {
      await loadTokenUser(deps.db, claims);
      return error;
    } catch (refusal) {
      return refusal;
    }
  }
}

/**
 * DRF renders JSON, or HTML for browsers (answered here with JSON too); an
 * Accept header that allows neither is a 406.
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept === "*/*" || accept === "application/json" || accept.trim() === "") return true;
  return accept.split(",").some((range) => {
    const [type = "", ...params] = range.trim().toLowerCase().split(";");
    if (params.some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(param))) return false;
    return ["*/*", "application/*", "application/json", "text/*", "text/html"].includes(type.trim());
  });
}

const LINE_SEPARATORS = /[\u2028\u2029]/g;

/** DRF's JSON: compact, with U+2028 and U+2029 escaped (JSON.stringify leaves them raw). */
function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  let text = JSON.stringify(body);
  // Rare in practice: a scan for each is cheaper than a regex replace with a callback on every body.
  if (text.includes("\u2028") || text.includes("\u2029")) {
    text = text.replace(LINE_SEPARATORS, (char) => (char === "\u2028" ? "\\u2028" : "\\u2029"));
  }
  return { status, headers, body: text };
}

const NO_CAPTURES: readonly string[] = [];

/** Replies are built per request, so the route is added in place. */
function withRoute(reply: RestResponse, entry: PathEntry): RestResponse {
  reply.route = entry.template;
  return reply;
}

/** Ids as Django parses them (`01` is 1), or plain text keys; anything else names no object. */
function pathParams(entry: PathEntry, captures: readonly string[]): Record<string, number | string> | undefined {
  const params: Record<string, number | string> = {};
  for (const [index, name] of entry.params.entries()) {
    const raw = captures[index] ?? "";
    if (entry.textParams.has(name)) {
      if (!/^[\w-]{1,64}$/.test(raw)) return undefined;
      params[name] = raw;
      continue;
    }
    const id = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    params[name] = id;
  }
  return params;
}

function procedureOf(route: RestRoute): AnyTRPCProcedure {
  const procedure = proceduresByPath[route.procedure];
  if (!procedure) throw new Error(`the route table names an unknown procedure: ${route.procedure}`);
  return procedure;
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
