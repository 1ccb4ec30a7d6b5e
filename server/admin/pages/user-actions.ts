import { AppError, texts } from "../../errors.js";
import { resetSecondFactors } from "../../services/mfa/reset.js";
import { requestPasswordReset } from "../../services/password-reset.js";
import { revokeAllSessions, revokeSession } from "../../services/sessions.js";
import { type AccountChange, changeAccount, deleteAccount } from "../../services/users.js";
import { actorOf, badInput, idParam, type StaffContext } from "../context.js";
import { type AdminReply, redirect } from "../reply.js";
import { userOf } from "./user.js";

// What staff do to an account: each action is the service the API and the
// command line use, audited with the staff member's name.

const back = (id: number) => `/admin/users/${id}`;
const gone = () => new AppError("not_found", texts.notFound);

/** What would shut the acting staff member out of the console: another staff member, or the command line, does it. */
const LOCKS_ONESELF_OUT: ReadonlySet<string> = new Set(["deactivate", "unstaff", "unsuperuser", "delete"]);

function refuseSelfLockout(ctx: StaffContext, action: string) {
  if (idParam(ctx) === ctx.staff.id && LOCKS_ONESELF_OUT.has(action)) {
    throw badInput("You cannot do this to your own account here: ask another staff member, or use the command line.");
  }
}

/** activate, deactivate; staff, unstaff, superuser, unsuperuser (superusers only: the route says so). */
export const changeAction =
  (change: AccountChange) =>
  async (ctx: StaffContext): Promise<AdminReply> => {
    refuseSelfLockout(ctx, change);
    const result = await changeAccount(ctx.deps, { id: idParam(ctx) }, change, actorOf(ctx));
    if (!result) throw gone();
    return redirect(back(result.user.id), result.changed ? change : "unchanged");
  };

export async function sendPasswordReset(ctx: StaffContext): Promise<AdminReply> {
  const user = await userOf(ctx);
  if (!user.email) throw badInput("The account has no email address.");
  await requestPasswordReset(ctx.deps, user.email, ctx.client, ctx.staff.username);
  return redirect(back(user.id), "reset_sent");
}

export async function resetSecondFactor(ctx: StaffContext): Promise<AdminReply> {
  const user = await userOf(ctx);
  await resetSecondFactors(ctx.deps, user.id, ctx.staff.username, ctx.client);
  return redirect(back(user.id), "mfa_reset");
}

export async function revokeOne(ctx: StaffContext): Promise<AdminReply> {
  const user = await userOf(ctx);
  await revokeSession(ctx.deps, user, ctx.params[1] ?? "", ctx.client, ctx.staff.username);
  return redirect(back(user.id), "session_revoked");
}

export async function revokeAll(ctx: StaffContext): Promise<AdminReply> {
  const user = await userOf(ctx);
  await revokeAllSessions(ctx.deps, user, ctx.client, ctx.staff.username);
  return redirect(back(user.id), "sessions_revoked");
}

export async function deleteUser(ctx: StaffContext): Promise<AdminReply> {
  if (ctx.form.get("confirm") !== "yes") throw badInput("Confirm the deletion on its page first.");
  refuseSelfLockout(ctx, "delete");
  const deleted = await deleteAccount(ctx.deps, { id: idParam(ctx) }, actorOf(ctx));
  if (!deleted) throw gone();
  return redirect("/admin/users", "deleted");
}
