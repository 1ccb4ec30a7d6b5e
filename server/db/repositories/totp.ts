import { sql } from "kysely";
import type { Executor } from "../connect.js";

export interface TotpCredential {
  sealedSecret: Uint8Array;
  confirmed: boolean;
  /** A pending enrolment older than the enrolment window: it can no longer be confirmed. */
  expired: boolean;
}

/**
 * A new pending enrolment, replacing an older pending one; false (nothing
 * written) when a confirmed credential exists.
 */
export async function upsertPendingTotp(db: Executor, userId: number, sealedSecret: Uint8Array): Promise<boolean> {
  const result = await db
    .insertInto("totp_credentials")
    .values({ user_id: userId, sealed_secret: sealedSecret })
    .onConflict((oc) =>
      oc
        .column("user_id")
        .doUpdateSet({ sealed_secret: sealedSecret, created_at: sql`now()`, last_used_step: null })
        .where("totp_credentials.confirmed_at", "is", null),
    )
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

export async function findTotp(
  db: Executor,
  userId: number,
  pendingWindowSeconds: number,
): Promise<TotpCredential | undefined> {
  const row = await db
    .selectFrom("totp_credentials")
    .select([
      "sealed_secret",
      "confirmed_at",
      sql<boolean>`confirmed_at is null and created_at <= now() - make_interval(secs => ${pendingWindowSeconds})`.as(
        "expired",
      ),
    ])
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row && { sealedSecret: row.sealed_secret, confirmed: row.confirmed_at !== null, expired: row.expired };
}

/**
 * Records that a code of `step` was accepted, only if no code of that step or
 * a later one was: the statement's row count says whether this request is the
 * one that used the code (parallel requests with one code: exactly one wins).
 * `confirm` also turns a pending enrolment into a confirmed credential.
 */
export async function claimTotpStep(
  db: Executor,
  userId: number,
  step: number,
  mode: { confirm: false } | { confirm: true; pendingWindowSeconds: number },
): Promise<boolean> {
  let query = db
    .updateTable("totp_credentials")
    .set(mode.confirm ? { last_used_step: step, confirmed_at: sql`now()` } : { last_used_step: step })
    .where("user_id", "=", userId)
    .where((eb) => eb.or([eb("last_used_step", "is", null), eb("last_used_step", "<", step)]));
  query = mode.confirm
    ? query
        .where("confirmed_at", "is", null)
        .where("created_at", ">", sql<Date>`now() - make_interval(secs => ${mode.pendingWindowSeconds})`)
    : query.where("confirmed_at", "is not", null);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteTotp(db: Executor, userId: number): Promise<boolean> {
  const result = await db.deleteFrom("totp_credentials").where("user_id", "=", userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Enrolments never confirmed within their window. */
export async function deleteStalePendingTotp(db: Executor, windowSeconds: number, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("totp_credentials")
    .where(
      "user_id",
      "in",
      db
        .selectFrom("totp_credentials")
        .select("user_id")
        .where("confirmed_at", "is", null)
        .where("created_at", "<", sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
