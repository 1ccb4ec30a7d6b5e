import { sql } from "kysely";
import type { Executor } from "../connect.js";

export interface OtpCode {
  userId: number;
  codeHash: Uint8Array;
  expiresAt: Date;
  failedAttempts: number;
}

/** A newer login replaces the pending code (and its count of wrong tries). */
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

/** The pending code, locked until the transaction ends, with whether it has expired by the database clock. */
export async function lockOtpCode(db: Executor, userId: number): Promise<(OtpCode & { expired: boolean }) | undefined> {
  const row = await db
    .selectFrom("otp_codes")
    .select(["user_id", "code_hash", "expires_at", "failed_attempts", sql<boolean>`expires_at <= now()`.as("expired")])
    .where("user_id", "=", userId)
    .forUpdate()
    .executeTakeFirst();
  return (
    row && {
      userId: row.user_id,
      codeHash: row.code_hash,
      expiresAt: row.expires_at,
      failedAttempts: row.failed_attempts,
      expired: row.expired,
    }
  );
}

export async function countFailedOtpAttempt(db: Executor, userId: number): Promise<void> {
  await db
    .updateTable("otp_codes")
    .set({ failed_attempts: sql`failed_attempts + 1` })
    .where("user_id", "=", userId)
    .execute();
}

export async function deleteOtpCode(db: Executor, userId: number): Promise<void> {
  await db.deleteFrom("otp_codes").where("user_id", "=", userId).execute();
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
