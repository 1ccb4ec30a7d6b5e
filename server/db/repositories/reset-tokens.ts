import { sql } from "kysely";
import type { Executor } from "../connect.js";

/** Stores a new reset token for the user; any older one stops working. */
export async function replaceResetToken(db: Executor, userId: number, tokenHash: Uint8Array, ttlSeconds: number) {
  await db.deleteFrom("password_reset_tokens").where("user_id", "=", userId).execute();
  await db
    .insertInto("password_reset_tokens")
    .values({
      token_hash: tokenHash,
      user_id: userId,
      expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})`,
    })
    .execute();
}

/**
 * Uses the token once: deletes it and answers its user, only when it is the
 * user's, unexpired and still there (so of two concurrent uses one wins).
 */
export async function consumeResetToken(db: Executor, userId: number, tokenHash: Uint8Array): Promise<boolean> {
  const result = await db
    .deleteFrom("password_reset_tokens")
    .where("token_hash", "=", tokenHash)
    .where("user_id", "=", userId)
    .where("expires_at", ">", sql<Date>`now()`)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function findUsableResetToken(db: Executor, userId: number, tokenHash: Uint8Array): Promise<boolean> {
  const row = await db
    .selectFrom("password_reset_tokens")
    .select("user_id")
    .where("token_hash", "=", tokenHash)
    .where("user_id", "=", userId)
    .where("expires_at", ">", sql<Date>`now()`)
    .executeTakeFirst();
  return row !== undefined;
}

/** Tokens past their expiry (a used token is deleted when used). */
export async function deleteExpiredResetTokens(db: Executor, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("password_reset_tokens")
    .where(
      "token_hash",
      "in",
      db
        .selectFrom("password_reset_tokens")
        .select("token_hash")
        .where("expires_at", "<", sql<Date>`now()`)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
