import { type Html, html } from "./html.js";

export interface PageFrame {
  title: string;
  /** The signed-in staff member and the CSRF token for the sign-out form; none on the sign-in pages. */
  staff?: { username: string; csrf: string };
  notice?: string | undefined;
  error?: string | undefined;
}

const NAV = [
  ["/admin/users", "Users"],
  ["/admin/mail", "Mail outbox"],
  ["/admin/audit", "Audit trail"],
] as const;

export function layout(frame: PageFrame, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${frame.title} · Admin</title><link rel="stylesheet" href="/admin/style.css"></head>
<body><header><strong>Admin console</strong>${
    frame.staff
      ? html`${NAV.map(([href, label]) => html`<a href="${href}">${label}</a>`)}
<span class="muted">${frame.staff.username}</span>
<form method="post" action="/admin/logout">${csrfField(frame.staff.csrf)}<button type="submit">Sign out</button></form>`
      : ""
  }</header>
<main>${frame.notice ? html`<p class="notice" role="status">${frame.notice}</p>` : ""}${
    frame.error ? html`<p class="error" role="alert">${frame.error}</p>` : ""
  }${body}</main></body></html>`;
}

export const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

/** A button that posts to `action`: every change is a form with its CSRF token. */
export const postButton = (action: string, csrf: string, label: string, kind = "", fields: Html | string = "") =>
  html`<form method="post" action="${action}">${csrfField(csrf)}${fields}<button type="submit" class="${kind}">${label}</button></form>`;

export const yesNo = (flag: boolean) => html`<span class="tag${flag ? "" : " no"}">${flag ? "yes" : "no"}</span>`;

export const when = (date: Date | null) => (date ? date.toISOString().slice(0, 16).replace("T", " ") : "never");
