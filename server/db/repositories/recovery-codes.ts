import { sql } from "kysely";
import type { Executor } from "../connect.js";

/** A new set of codes (as hashes); the old set stops working in the same statement's transaction. */
export async function replaceRecoveryCodes(db: Executor, userId: number, hashes: Uint8Array[]): Promise<void> {
  await db.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
  await db
    .insertInto("recovery_codes")
    .values(hashes.map((code_hash) => ({ user_id: userId, code_hash })))
    .execute();
}

/** Uses an unused code once: of parallel uses of one code, exactly one gets true. */
export async function useRecoveryCode(db: Executor, userId: number, hash: Uint8Array): Promise<boolean> {
  const result = await db
    .updateTable("recovery_codes")
    .set({ used_at: sql`now()` })
    .where("user_id", "=", userId)
    .where("code_hash", "=", hash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteRecoveryCodes(db: Executor, userId: number): Promise<void> {
  await db.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
}
