import { sql } from "kysely";
import type { Executor } from "../connect.js";

/** Whether the user's address was ever verified (undefined: no such user). */
export async function isEmailVerified(db: Executor, userId: number): Promise<boolean | undefined> {
  const row = await db.selectFrom("users").select("email_verified_at").where("id", "=", userId).executeTakeFirst();
  return row && row.email_verified_at !== null;
}

/** Marks the address verified, only if it is still the one the link was sent to. */
export async function markEmailVerified(db: Executor, userId: number, email: string): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ email_verified_at: sql`coalesce(email_verified_at, now())` })
    .where("id", "=", userId)
    .where("email", "=", email)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Sets a verified new address; answers the old one. Throws the unique
 * violation `users_email_key` when another account took the address meanwhile.
 */
export async function replaceEmail(db: Executor, userId: number, email: string): Promise<string | undefined> {
  const row = await db
    .updateTable("users as u")
    .from("users as old")
    .set({ email, email_verified_at: sql`now()` })
    .whereRef("old.id", "=", "u.id")
    .where("u.id", "=", userId)
    .returning("old.email as previous")
    .executeTakeFirst();
  return row?.previous;
}
