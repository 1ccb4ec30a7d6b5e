import { sql } from "kysely";
import type { Executor } from "../connect.js";

/** `mfa` and `admin`: the second step of an API or a console login; `step_up`: a reauthentication. All three are bound to a user. */
export type ChallengePurpose = "register" | "login" | "mfa" | "step_up" | "admin";

export async function insertChallenge(
  db: Executor,
  challengeHash: Uint8Array,
  purpose: ChallengePurpose,
  userId: number | null,
  userHandle: Uint8Array | null,
  ttlSeconds: number,
): Promise<void> {
  await db
    .insertInto("webauthn_challenges")
    .values({
      challenge_hash: challengeHash,
      purpose,
      user_id: userId,
      user_handle: userHandle,
      expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})`,
    })
    .execute();
}

/**
 * Uses a challenge once: deleted and answered only when it exists, is
 * unexpired, of this purpose and this user's (null: a sign-in's). Of parallel
 * uses, one gets it.
 */
export async function consumeChallenge(
  db: Executor,
  challengeHash: Uint8Array,
  purpose: ChallengePurpose,
  userId: number | null,
): Promise<{ userHandle: Uint8Array | null } | undefined> {
  const row = await db
    .deleteFrom("webauthn_challenges")
    .where("challenge_hash", "=", challengeHash)
    .where("purpose", "=", purpose)
    .where("user_id", userId === null ? "is" : "=", userId)
    .where("expires_at", ">", sql<Date>`now()`)
    .returning("user_handle")
    .executeTakeFirst();
  return row && { userHandle: row.user_handle };
}

export async function deleteExpiredChallenges(db: Executor, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("webauthn_challenges")
    .where(
      "challenge_hash",
      "in",
      db
        .selectFrom("webauthn_challenges")
        .select("challenge_hash")
        .where("expires_at", "<", sql<Date>`now()`)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
