import { deleteExpiredRefreshTokens } from "../../db/repositories/refresh-tokens.js";
import type { CommandContext } from "./context.js";

export const usage = "flushexpiredtokens";

const BATCH = 10_000;

/** Deletes refresh tokens past their expiry (revoked or not) and sessions that are over, in bounded batches. */
export async function flushexpiredtokens(ctx: CommandContext): Promise<void> {
  let tokens = 0;
  let sessions = 0;
  for (;;) {
    const deleted = await deleteExpiredRefreshTokens(ctx.db, BATCH);
    tokens += deleted.tokens;
    sessions += deleted.sessions;
    if (deleted.tokens < BATCH && deleted.sessions < BATCH) break;
  }
  ctx.io.out(
    `Deleted ${tokens} expired refresh token${tokens === 1 ? "" : "s"} and ${sessions} ended session${sessions === 1 ? "" : "s"}.`,
  );
}
