import { pruneAll } from "../../services/pruning.js";
import { type CommandContext, CommandError } from "./context.js";

export const usage = "flushexpiredtokens";

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/**
 * What the server also does in the background (PRUNE_INTERVAL): deletes
 * expired refresh tokens and ended sessions, dead one-time codes, expired
 * reset tokens, stale throttle counters and old delivered mail, in batches.
 */
export async function flushexpiredtokens(ctx: CommandContext): Promise<void> {
  const pruned = await pruneAll(ctx.db);
  if (!pruned) throw new CommandError("Another process is pruning right now; try again in a moment.");
  ctx.io.out(
    `Deleted ${plural(pruned.refreshTokens, "expired refresh token")} and ${plural(pruned.sessions, "ended session")}, ` +
      `${plural(pruned.otpCodes, "dead one-time code")}, ${plural(pruned.resetTokens, "expired reset token")}, ` +
      `${plural(pruned.throttles, "stale throttle counter")} and ${plural(pruned.sentMail, "delivered mail", "delivered mails")}.`,
  );
}
