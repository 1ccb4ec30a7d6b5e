import { recordEvent } from "../../db/repositories/auth-events.js";
import { deleteUserByUsername, setActive } from "../../db/repositories/users.js";
import { endEverySession } from "../../services/sessions.js";
import { type CommandContext, CommandError } from "./context.js";

export const usage = "user deactivate|activate|delete USERNAME";

/**
 * Puts an account into states the API cannot reach (the reference's useradmin).
 * Deactivation also ends every session and refuses the access tokens issued so far.
 */
export async function user(ctx: CommandContext, args: string[]): Promise<void> {
  const [action, username, ...extra] = args;
  if (!action || !username || extra.length > 0) throw new CommandError(`usage: ${usage}`, 2);
  if (action !== "activate" && action !== "deactivate" && action !== "delete") {
    throw new CommandError(`unknown action '${action}'; usage: ${usage}`, 2);
  }
  const done = await ctx.db.transaction().execute(async (trx) => {
    const id =
      action === "delete"
        ? await deleteUserByUsername(trx, username)
        : await setActive(trx, username, action === "activate");
    if (id === undefined) return false;
    if (action === "deactivate") await endEverySession(trx, id, "deactivated");
    const event = action === "delete" ? "user_deleted" : action === "activate" ? "user_activated" : "user_deactivated";
    await recordEvent(trx, { event, userId: action === "delete" ? undefined : id, username, detail: { by: "cli" } });
    return true;
  });
  if (!done) throw new CommandError(`user '${username}' does not exist`);
  ctx.io.out(`${action} ${username}: ok`);
}
