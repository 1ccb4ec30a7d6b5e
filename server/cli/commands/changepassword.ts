import { parseArgs } from "node:util";
import { findUserByUsername } from "../../db/repositories/users.js";
import { ownerOf, setPassword } from "../../services/users.js";
import { type CommandContext, CommandError } from "./context.js";
import { readNewPassword } from "./passwords.js";

export const usage = "changepassword USERNAME [--password-stdin]";

/** Sets a user's password; every refresh token of the user is revoked with it. */
export async function changepassword(ctx: CommandContext, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { "password-stdin": { type: "boolean", default: false } },
  });
  const [username, ...extra] = positionals;
  if (!username || extra.length > 0) throw new CommandError(`usage: ${usage}`, 2);
  const user = await findUserByUsername(ctx.db, username);
  if (!user) throw new CommandError(`user '${username}' does not exist`);
  ctx.io.out(`Changing password for user '${username}'`);
  const password = await readNewPassword(ctx.io, values["password-stdin"], ownerOf(user));
  await setPassword(ctx, user, password);
  ctx.io.out(`Password changed successfully for user '${username}'`);
}
