import { recordEvent } from "../../db/repositories/auth-events.js";
import { AppError } from "../../errors.js";
import type { AdminContext, StaffContext } from "../context.js";
import { html } from "../html.js";
import { csrfField, layout } from "../layout.js";
import { noticeText } from "../notices.js";
import { type AdminReply, htmlReply, redirect } from "../reply.js";
import { endAdminSession } from "../session.js";
import { signInWithPassword } from "../sign-in.js";

function signInForm(ctx: AdminContext, status: number, error?: string, retryAfter?: number): AdminReply {
  const body = html`<section class="card narrow"><h1>Staff sign-in</h1>
<form method="post" action="/admin/login">${csrfField(ctx.csrf)}
<label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">Sign in</button></p></form></section>`;
  const frame = { title: "Sign in", notice: noticeText(ctx.url.searchParams.get("done")), error };
  const headers: Record<string, string> = retryAfter ? { "Retry-After": String(retryAfter) } : {};
  return htmlReply(status, layout(frame, body), ctx.setCookies, headers);
}

export const showSignIn = async (ctx: AdminContext) => signInForm(ctx, 200);

/** Failures a person can act on are shown on the form; anything else goes up. */
export const shown = (error: unknown) => {
  if (error instanceof AppError && error.status < 500) return error;
  throw error;
};

export async function signIn(ctx: AdminContext): Promise<AdminReply> {
  const username = ctx.form.get("username") ?? "";
  const password = ctx.form.get("password") ?? "";
  try {
    const session = await signInWithPassword(ctx.deps, ctx.client, username, password);
    const cookie = ctx.cookies.setSession(session.token, session.lifetimeSeconds);
    return redirect(session.awaitingSecondFactor ? "/admin/login/second-factor" : "/admin/users", undefined, [cookie]);
  } catch (error) {
    const failure = shown(error);
    return signInForm(ctx, failure.status, failure.message, failure.retryAfter);
  }
}

export async function signOut(ctx: StaffContext): Promise<AdminReply> {
  if (await endAdminSession(ctx.deps, ctx.sessionToken)) {
    await recordEvent(ctx.deps.db, { event: "admin_signed_out", userId: ctx.staff.id, ...ctx.client });
  }
  return redirect("/admin/login", "signed_out", [ctx.cookies.clearSession()]);
}
