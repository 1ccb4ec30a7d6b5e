import { authenticationCredential } from "../../contracts/passkey.js";
import { secondFactorMethods } from "../../services/mfa/login-challenge.js";
import { badInput, type StaffContext, textParam } from "../context.js";
import { html } from "../html.js";
import { csrfField, layout } from "../layout.js";
import { type AdminReply, htmlReply, jsonReply, redirect, SCRIPT_POLICY } from "../reply.js";
import { completeSecondFactor, completeWithPasskey, passkeyOptions } from "../sign-in.js";
import { shown } from "./sign-in.js";

// The sign-in's second step: a code form for an account with TOTP, a passkey
// button (the console's one script) for an account with a passkey.

const PASSKEY_OPTIONS_PATH = "/admin/login/second-factor/passkey/options";
const PASSKEY_PATH = "/admin/login/second-factor/passkey";

async function secondFactorPage(
  ctx: StaffContext,
  status: number,
  error?: string,
  retryAfter?: number,
): Promise<AdminReply> {
  const methods = await secondFactorMethods(ctx.deps, ctx.staff);
  const codes = methods.includes("totp");
  const passkey = methods.includes("passkey");
  const codeForm = html`<p class="muted">Enter the 6-digit code from the authenticator app of <strong>${ctx.staff.username}</strong>, or one of the account's recovery codes.</p>
<form method="post" action="/admin/login/second-factor">${csrfField(ctx.csrf)}
<label for="code">Code</label><input id="code" name="code" type="text" inputmode="text" autocomplete="one-time-code" required autofocus>
<p><button type="submit">Verify</button></p></form>`;
  // The button shows once the script runs; without script the page says why there is none.
  const passkeyForm = html`<form method="post" action="${PASSKEY_PATH}" id="passkey" data-options="${PASSKEY_OPTIONS_PATH}">${csrfField(ctx.csrf)}
<input type="hidden" name="credential">
<p class="muted">${codes ? "Or use" : "Use"} a passkey of <strong>${ctx.staff.username}</strong>.</p>
<p><button type="button" hidden>Use a passkey</button></p>
<p class="error" role="alert" hidden></p>
<noscript><p class="error">Signing in with a passkey needs JavaScript, which is off in this browser: turn it on for this site${codes ? ", or enter a code above" : ""}.</p></noscript></form>
<script src="/admin/static/passkey.js" defer></script>`;
  const body = html`<section class="card narrow"><h1>Second factor</h1>${codes ? codeForm : ""}${passkey ? passkeyForm : ""}${
    codes || passkey
      ? ""
      : html`<p>The account has no second factor any more: <a href="/admin/login">sign in again</a>.</p>`
  }</section>`;
  const headers: Record<string, string> = {
    ...(retryAfter ? { "Retry-After": String(retryAfter) } : {}),
    ...(passkey ? SCRIPT_POLICY : {}),
  };
  return htmlReply(status, layout({ title: "Second factor", error }, body), ctx.setCookies, headers);
}

export const showSecondFactor = (ctx: StaffContext) => secondFactorPage(ctx, 200);

export async function verifyCode(ctx: StaffContext): Promise<AdminReply> {
  const code = textParam(ctx.form, "code", 64) ?? "";
  try {
    const session = await completeSecondFactor(ctx.deps, ctx.sessionToken, ctx.staff, code, ctx.client);
    return redirect("/admin/users", undefined, [ctx.cookies.setSession(session.token, session.lifetimeSeconds)]);
  } catch (error) {
    const failure = shown(error);
    return secondFactorPage(ctx, failure.status, failure.message, failure.retryAfter);
  }
}

/** For the script: navigator.credentials.get() options, as WebAuthn JSON. */
export const showPasskeyOptions = async (ctx: StaffContext) =>
  jsonReply(200, await passkeyOptions(ctx.deps, ctx.staff));

/** The assertion the script put in the form, as WebAuthn JSON; anything else is a 400 before it is counted. */
function assertionOf(form: URLSearchParams) {
  let value: unknown;
  try {
    value = JSON.parse(form.get("credential") ?? "");
  } catch {
    value = undefined;
  }
  const parsed = authenticationCredential.safeParse(value);
  if (!parsed.success) throw badInput("The passkey's answer is not a WebAuthn assertion.");
  return parsed.data;
}

export async function verifyPasskey(ctx: StaffContext): Promise<AdminReply> {
  try {
    const credential = assertionOf(ctx.form);
    const session = await completeWithPasskey(ctx.deps, ctx.sessionToken, ctx.staff, credential, ctx.client);
    return redirect("/admin/users", undefined, [ctx.cookies.setSession(session.token, session.lifetimeSeconds)]);
  } catch (error) {
    const failure = shown(error);
    return secondFactorPage(ctx, failure.status, failure.message, failure.retryAfter);
  }
}
