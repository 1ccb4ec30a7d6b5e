import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestInfo } from "../context.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { readBody } from "../http/rest/body.js";
import { assetAt } from "./assets.js";
import type { AdminContext, StaffContext } from "./context.js";
import { adminCookies } from "./cookies.js";
import { csrfFor, csrfValid, sameOrigin } from "./csrf.js";
import { html } from "./html.js";
import { layout } from "./layout.js";
import { type AdminReply, htmlReply, redirect, sendAdmin } from "./reply.js";
import { type AdminRoute, matchRoute } from "./routes.js";
import { findSession } from "./session.js";

const MAX_FORM_BYTES = 64 * 1024;
const FORM = "application/x-www-form-urlencoded";

const plainPage = (status: number, message: string, headers: Record<string, string> = {}) =>
  htmlReply(
    status,
    layout({ title: "Admin", error: message }, html`<p><a href="/admin/">Admin console</a></p>`),
    [],
    headers,
  );

/**
 * The staff console under /admin/: sessions in their own cookie, every form
 * checked for its CSRF token and Origin, every page behind the route's access
 * rule. Answers its requests whole; the metric label is the route's pattern.
 */
export function createAdminHandler(deps: Deps, readRequest: (req: IncomingMessage) => RequestInfo) {
  return async (
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    common: Readonly<Record<string, string>>,
  ): Promise<string> => {
    const headOnly = req.method === "HEAD";
    const method = headOnly ? "GET" : (req.method ?? "");
    const { reply, label } = await answer(deps, readRequest, req, method, pathname);
    sendAdmin(res, reply, headOnly, common);
    return label;
  };
}

async function answer(
  deps: Deps,
  readRequest: (req: IncomingMessage) => RequestInfo,
  req: IncomingMessage,
  method: string,
  pathname: string,
): Promise<{ reply: AdminReply; label: string }> {
  if (pathname === "/admin" || pathname === "/admin/") return { reply: redirect("/admin/users"), label: "/admin/" };
  const asset = method === "GET" ? assetAt(pathname) : undefined;
  if (asset) return { reply: asset, label: pathname };
  const match = matchRoute(method, pathname);
  if (!("route" in match) || !match.route) {
    const reply = match.pathExists
      ? plainPage(405, "Method not allowed.", { Allow: method === "GET" ? "POST" : "GET, HEAD" })
      : plainPage(404, "Not found.");
    return { reply, label: "admin:unmatched" };
  }
  const { route, params } = match;
  const label = `admin:${route.path.source}`;
  try {
    return { reply: await dispatch(deps, readRequest, req, method, route, params), label };
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      const headers: Record<string, string> = error.retryAfter ? { "Retry-After": String(error.retryAfter) } : {};
      return { reply: plainPage(error.status, error.message, headers), label };
    }
    throw error;
  }
}

async function dispatch(
  deps: Deps,
  readRequest: (req: IncomingMessage) => RequestInfo,
  req: IncomingMessage,
  method: string,
  route: AdminRoute,
  params: string[],
): Promise<AdminReply> {
  const cookies = adminCookies(deps.config.admin, req.headers);
  const info = readRequest(req);
  const base = {
    deps,
    url: new URL(req.url ?? "/", "http://localhost"),
    client: { ip: info.ip, userAgent: info.userAgent },
    cookies,
    form: new URLSearchParams(),
    params,
    setCookies: [] as string[],
  };

  // The cookie this request's CSRF token is bound to: the session's, or before sign-in a random one.
  let bindTo: string | undefined;
  let staff: Omit<StaffContext, keyof AdminContext> | undefined;
  if (route.access === "anyone") {
    bindTo = cookies.preSession;
    if (!bindTo && method === "GET") {
      bindTo = randomBytes(32).toString("base64url");
      base.setCookies.push(cookies.setPreSession(bindTo));
    }
  } else {
    const session = cookies.session ? await findSession(deps, cookies.session) : undefined;
    const stageFits = session !== undefined && session.awaitingSecondFactor === (route.access === "second-factor");
    if (!session || !stageFits || !cookies.session) {
      if (method === "GET") return redirect("/admin/login");
      return plainPage(403, "Your console session has ended: sign in again.");
    }
    if (route.access === "superuser" && !session.user.isSuperuser) {
      return plainPage(403, "Only superusers may change the staff and superuser flags.");
    }
    bindTo = cookies.session;
    staff = { staff: session.user, sessionToken: cookies.session };
  }

  if (method === "POST") {
    if (!sameOrigin(req.headers)) return plainPage(403, "A form from another site was refused.");
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== FORM) return plainPage(415, "The console accepts its own forms only.");
    base.form = new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString("utf8"));
    if (!csrfValid(deps.secrets, bindTo, base.form.get("csrf") ?? undefined)) {
      return plainPage(403, "The form's CSRF token is missing or wrong: reload the page and send it again.");
    }
  }
  const ctx: AdminContext = { ...base, csrf: bindTo ? csrfFor(deps.secrets, bindTo) : "" };
  if (route.access === "anyone") return route.handle(ctx);
  return route.handle({ ...ctx, ...(staff as Omit<StaffContext, keyof AdminContext>) });
}
