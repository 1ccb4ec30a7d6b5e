import { parseArgs } from "node:util";
import { findUserByUsername } from "../../db/repositories/users.js";
import { resetSecondFactors } from "../../services/mfa/reset.js";
import { ACCOUNT_CHANGE_NAMES, type AccountChange, changeAccount, deleteAccount } from "../../services/users.js";
import { type CommandContext, CommandError } from "./context.js";
import { listUsersCommand } from "./user-list.js";

export const usage =
  "user list [--active|--inactive] [--staff] [--superuser] [--search TEXT] [--limit N]\n" +
  "  user activate|deactivate|staff|unstaff|superuser|unsuperuser USERNAME\n" +
  "  user delete USERNAME [--yes]\n" +
  "  user mfa-reset USERNAME";

const CLI = { by: "cli" };

const ALREADY: Record<AccountChange, string> = {
  activate: "already active",
  deactivate: "already inactive",
  staff: "already staff",
  unstaff: "not staff",
  superuser: "already a superuser",
  unsuperuser: "not a superuser",
};

/**
 * Accounts as an operator sees them: list them, and put them into states the
 * API cannot reach (Django's admin). Each change is audited and holds at the
 * next request; the rules are the users service's.
 */
export async function user(ctx: CommandContext, args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action === "list") return listUsersCommand(ctx, rest);
  if (action === "delete") return deleteCommand(ctx, rest);
  if (action === "mfa-reset") return mfaResetCommand(ctx, rest);
  if (!action || !(ACCOUNT_CHANGE_NAMES as string[]).includes(action)) {
    throw new CommandError(action ? `unknown action '${action}'; usage: ${usage}` : `usage: ${usage}`, 2);
  }
  const [username, ...extra] = rest;
  if (!username || extra.length > 0) throw new CommandError(`usage: ${usage}`, 2);
  const change = action as AccountChange;
  const result = await changeAccount(ctx, { username }, change, CLI);
  if (!result) throw new CommandError(`user '${username}' does not exist`);
  ctx.io.out(result.changed ? `${change} ${username}: ok` : `${change} ${username}: unchanged (${ALREADY[change]})`);
}

async function deleteCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { yes: { type: "boolean" } } });
  const [username, ...extra] = positionals;
  if (!username || extra.length > 0) throw new CommandError(`usage: ${usage}`, 2);
  if (!values.yes) {
    const answer = await ctx.io.prompt(
      `Delete user '${username}' with their tasks and sessions? This cannot be undone. Type 'yes' to continue: `,
    );
    if (answer === undefined) throw new CommandError("user delete needs --yes when no terminal can confirm", 2);
    if (answer.trim().toLowerCase() !== "yes") throw new CommandError("Deletion cancelled.");
  }
  const deleted = await deleteAccount(ctx, { username }, CLI);
  if (!deleted) throw new CommandError(`user '${username}' does not exist`);
  ctx.io.out(`delete ${username}: ok`);
}

/** A user who lost every second factor: TOTP, recovery codes and passkeys go, audited as `mfa_reset`. */
async function mfaResetCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [username, ...extra] = args;
  if (!username || extra.length > 0) throw new CommandError(`usage: ${usage}`, 2);
  const found = await findUserByUsername(ctx.db, username);
  if (!found) throw new CommandError(`user '${username}' does not exist`);
  const reset = await resetSecondFactors(ctx, found.id, CLI.by);
  const removed = [reset.totp ? "TOTP and its recovery codes" : undefined, `${reset.passkeys} passkey(s)`];
  ctx.io.out(`mfa-reset ${username}: removed ${removed.filter(Boolean).join(", ")}; the password alone logs in now`);
}
