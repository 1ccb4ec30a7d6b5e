import type { ServerResponse } from "node:http";
import type { Html } from "./html.js";

// Answers of the console: HTML pages and redirects after a form (303), with
// the headers every console answer carries.

export interface AdminReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Set-Cookie values, one header line each. */
  cookies: string[];
}

const POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const PAGE_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  "Cache-Control": "no-store",
  // No script runs on these pages at all, and they are never framed.
  "Content-Security-Policy": POLICY,
};

/** The one page that needs script (a passkey cannot be asked for without): the console's own file, and its own origin to fetch from. */
export const SCRIPT_POLICY = { "Content-Security-Policy": `${POLICY}; script-src 'self'; connect-src 'self'` };

export const htmlReply = (
  status: number,
  page: Html,
  cookies: string[] = [],
  headers: Record<string, string> = {},
): AdminReply => ({ status, headers: { ...PAGE_HEADERS, ...headers }, body: page.value, cookies });

/** An answer for the console's script. */
export const jsonReply = (status: number, value: unknown): AdminReply => ({
  status,
  headers: { ...PAGE_HEADERS, "Content-Type": "application/json" },
  body: JSON.stringify(value),
  cookies: [],
});

/** After a form: back to a page, with one of the fixed notices (notices.ts) named in the query. */
export function redirect(location: string, notice?: string, cookies: string[] = []): AdminReply {
  const target = notice ? `${location}${location.includes("?") ? "&" : "?"}done=${notice}` : location;
  return { status: 303, headers: { ...PAGE_HEADERS, Location: target }, body: "", cookies };
}

export function sendAdmin(
  res: ServerResponse,
  reply: AdminReply,
  headOnly: boolean,
  common: Readonly<Record<string, string>>,
): void {
  res.writeHead(reply.status, {
    ...common,
    ...reply.headers,
    "Content-Length": String(Buffer.byteLength(reply.body)),
    ...(reply.cookies.length > 0 ? { "Set-Cookie": reply.cookies } : {}),
  });
  res.end(headOnly ? undefined : reply.body);
}
