import type { Client } from "../client-info.js";
import { isStorableText } from "../contracts/fields.js";
import type { User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import type { AdminCookies } from "./cookies.js";
import type { Html } from "./html.js";
import { layout } from "./layout.js";
import { noticeText } from "./notices.js";
import { type AdminReply, htmlReply } from "./reply.js";

/** What a console page or action gets: the request, read once. */
export interface AdminContext {
  deps: Deps;
  url: URL;
  client: Client;
  cookies: AdminCookies;
  /** The posted form (empty for a GET). */
  form: URLSearchParams;
  /** The route pattern's captures. */
  params: string[];
  /** The token this page's forms carry. */
  csrf: string;
  /** Set-Cookie values the answer must carry (the pre-session cookie). */
  setCookies: string[];
}

export interface StaffContext extends AdminContext {
  staff: User;
  sessionToken: string;
}

const MAX_TEXT = 200;

/** A text field or query parameter, trimmed; undefined when empty. Text PostgreSQL cannot hold is a 400. */
export function textParam(source: URLSearchParams, name: string, max = MAX_TEXT): string | undefined {
  const value = source.get(name)?.trim();
  if (!value) return undefined;
  if (value.length > max || !isStorableText(value)) throw badInput(`"${name}" is not valid text.`);
  return value;
}

/** A positive id from the path. */
export function idParam(ctx: AdminContext, index = 0): number {
  const id = Number(ctx.params[index]);
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) throw new AppError("not_found", "Not found.");
  return id;
}

export const badInput = (message: string) => new AppError("invalid_request", message);

/** A console page: the frame (navigation, sign-out, the notice a redirect named) around `body`. */
export function staffPage(
  ctx: StaffContext,
  title: string,
  body: Html,
  options: { status?: number; error?: string } = {},
): AdminReply {
  const frame = {
    title,
    staff: { username: ctx.staff.username, csrf: ctx.csrf },
    notice: noticeText(ctx.url.searchParams.get("done")),
    error: options.error,
  };
  return htmlReply(options.status ?? 200, layout(frame, body), ctx.setCookies);
}

export const actorOf = (ctx: StaffContext) => ({ by: ctx.staff.username, client: ctx.client });
