import { sql } from "kysely";
import type { Executor } from "../connect.js";

export type EmailTokenPurpose = "signup" | "change";

/** A new link for the user and purpose; an older one of the same purpose stops working. */
export async function replaceEmailToken(
  db: Executor,
  token: { userId: number; purpose: EmailTokenPurpose; email: string; hash: Uint8Array; ttlSeconds: number },
): Promise<void> {
  await db
    .deleteFrom("email_tokens")
    .where("user_id", "=", token.userId)
    .where("purpose", "=", token.purpose)
    .execute();
  await db
    .insertInto("email_tokens")
    .values({
      token_hash: token.hash,
      user_id: token.userId,
      purpose: token.purpose,
      email: token.email,
      expires_at: sql<Date>`now() + make_interval(secs => ${token.ttlSeconds})`,
    })
    .execute();
}

/** Uses a link once: deleted and answered only when unexpired; of parallel uses, one gets it. */
export async function consumeEmailToken(db: Executor, hash: Uint8Array) {
  const row = await db
    .deleteFrom("email_tokens")
    .where("token_hash", "=", hash)
    .where("expires_at", ">", sql<Date>`now()`)
    .returning(["user_id", "purpose", "email"])
    .executeTakeFirst();
  return row && { userId: row.user_id, purpose: row.purpose as EmailTokenPurpose, email: row.email };
}

/** The new address waiting for its link, if any. */
export async function findPendingEmail(db: Executor, userId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom("email_tokens")
    .select("email")
    .where("user_id", "=", userId)
    .where("purpose", "=", "change")
    .where("expires_at", ">", sql<Date>`now()`)
    .executeTakeFirst();
  return row?.email;
}

export async function deleteExpiredEmailTokens(db: Executor, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("email_tokens")
    .where(
      "token_hash",
      "in",
      db.selectFrom("email_tokens").select("token_hash").where("expires_at", "<", sql<Date>`now()`).limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
