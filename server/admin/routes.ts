import type { AdminContext, StaffContext } from "./context.js";
import { auditPage } from "./pages/audit.js";
import { mailPage, retryAll, retryOne } from "./pages/mail.js";
import { showPasskeyOptions, showSecondFactor, verifyCode, verifyPasskey } from "./pages/second-factor.js";
import { showSignIn, signIn, signOut } from "./pages/sign-in.js";
import { confirmDeletePage, userPage } from "./pages/user.js";
import {
  changeAction,
  deleteUser,
  resetSecondFactor,
  revokeAll,
  revokeOne,
  sendPasswordReset,
} from "./pages/user-actions.js";
import { listUsersPage } from "./pages/users.js";
import type { AdminReply } from "./reply.js";

// The console's routes. `access` says who may come: anyone (the sign-in form),
// a session waiting for its second factor, staff, or superusers only.

type Method = "GET" | "POST";

export type AdminRoute =
  | { method: Method; path: RegExp; access: "anyone"; handle(ctx: AdminContext): Promise<AdminReply> }
  | {
      method: Method;
      path: RegExp;
      access: "second-factor" | "staff" | "superuser";
      handle(ctx: StaffContext): Promise<AdminReply>;
    };

const USER = String.raw`/admin/users/(\d{1,10})`;
const at = (pattern: string) => new RegExp(`^${pattern}/?$`);

export const ADMIN_ROUTES: AdminRoute[] = [
  { method: "GET", path: at("/admin/login"), access: "anyone", handle: showSignIn },
  { method: "POST", path: at("/admin/login"), access: "anyone", handle: signIn },
  { method: "GET", path: at("/admin/login/second-factor"), access: "second-factor", handle: showSecondFactor },
  { method: "POST", path: at("/admin/login/second-factor"), access: "second-factor", handle: verifyCode },
  {
    method: "POST",
    path: at("/admin/login/second-factor/passkey/options"),
    access: "second-factor",
    handle: showPasskeyOptions,
  },
  { method: "POST", path: at("/admin/login/second-factor/passkey"), access: "second-factor", handle: verifyPasskey },
  { method: "POST", path: at("/admin/logout"), access: "staff", handle: signOut },
  { method: "GET", path: at("/admin/users"), access: "staff", handle: listUsersPage },
  { method: "GET", path: at(USER), access: "staff", handle: userPage },
  { method: "POST", path: at(`${USER}/activate`), access: "staff", handle: changeAction("activate") },
  { method: "POST", path: at(`${USER}/deactivate`), access: "staff", handle: changeAction("deactivate") },
  { method: "POST", path: at(`${USER}/staff`), access: "superuser", handle: changeAction("staff") },
  { method: "POST", path: at(`${USER}/unstaff`), access: "superuser", handle: changeAction("unstaff") },
  { method: "POST", path: at(`${USER}/superuser`), access: "superuser", handle: changeAction("superuser") },
  { method: "POST", path: at(`${USER}/unsuperuser`), access: "superuser", handle: changeAction("unsuperuser") },
  { method: "POST", path: at(`${USER}/password-reset`), access: "staff", handle: sendPasswordReset },
  { method: "POST", path: at(`${USER}/second-factor-reset`), access: "staff", handle: resetSecondFactor },
  { method: "POST", path: at(`${USER}/sessions/revoke-all`), access: "staff", handle: revokeAll },
  { method: "POST", path: at(`${USER}/sessions/([^/]{1,128})/revoke`), access: "staff", handle: revokeOne },
  { method: "GET", path: at(`${USER}/delete`), access: "staff", handle: confirmDeletePage },
  { method: "POST", path: at(`${USER}/delete`), access: "staff", handle: deleteUser },
  { method: "GET", path: at("/admin/mail"), access: "staff", handle: mailPage },
  { method: "POST", path: at("/admin/mail/retry-all"), access: "staff", handle: retryAll },
  { method: "POST", path: at(String.raw`/admin/mail/(\d{1,10})/retry`), access: "staff", handle: retryOne },
  { method: "GET", path: at("/admin/audit"), access: "staff", handle: auditPage },
];

/** The route for a request, its captures, and whether the path exists under another method. */
export function matchRoute(method: string, pathname: string) {
  let pathExists = false;
  for (const route of ADMIN_ROUTES) {
    const match = route.path.exec(pathname);
    if (!match) continue;
    pathExists = true;
    if (route.method === method) return { route, params: match.slice(1).map(decode) };
  }
  return { pathExists };
}

function decode(part: string | undefined): string {
  try {
    return decodeURIComponent(part ?? "");
  } catch {
    return "";
  }
}
