import { sql } from "kysely";
import type { Executor } from "../connect.js";

/** A newer login replaces the pending code (and its count of tries). */
export async function replaceOtpCode(db: Executor, userId: number, codeHash: Uint8Array, ttlSeconds: number) {
  const values = {
    code_hash: codeHash,
    created_at: sql<Date>`now()`,
    expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})`,
    failed_attempts: 0,
  };
  await db
    .insertInto("otp_codes")
    .values({ user_id: userId, ...values })
    .onConflict((oc) => oc.column("user_id").doUpdateSet(values))
    .execute();
}

/**
 * Takes one try of the pending code, before it is compared: of any number of
 * concurrent tries, at most `maxTries` find it. Answers the code's hash, or
 * undefined when there is no live code with tries left.
 */
export async function takeOtpTry(db: Executor, userId: number, maxTries: number): Promise<Uint8Array | undefined> {
  const row = await db
    .updateTable("otp_codes")
    .set({ failed_attempts: sql`failed_attempts + 1` })
    .where("user_id", "=", userId)
    .where("failed_attempts", "<", maxTries)
    .where("expires_at", ">", sql<Date>`now()`)
    .returning("code_hash")
    .executeTakeFirst();
  return row?.code_hash;
}

/** Uses the code up: true for exactly one of concurrent right answers. */
export async function consumeOtpCode(db: Executor, userId: number, codeHash: Uint8Array): Promise<boolean> {
  const row = await db
    .deleteFrom("otp_codes")
    .where("user_id", "=", userId)
    .where("code_hash", "=", codeHash)
    .returning("user_id")
    .executeTakeFirst();
  return row !== undefined;
}

/** Codes that can no longer be used: expired, or out of tries (a used code is deleted when used). */
export async function deleteDeadOtpCodes(db: Executor, maxFailedAttempts: number, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("otp_codes")
    .where(
      "user_id",
      "in",
      db
        .selectFrom("otp_codes")
        .select("user_id")
        .where((eb) => eb.or([eb("expires_at", "<", sql<Date>`now()`), eb("failed_attempts", ">=", maxFailedAttempts)]))
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
