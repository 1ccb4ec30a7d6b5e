import { sql } from "kysely";
import type { MfaMethod } from "../../contracts/errors.js";
import type { Executor } from "../connect.js";

// Tickets between a login's password step and its second step, kept by the
// SHA-256 of the token handed out.

export interface MfaTicket {
  userId: number;
  methods: MfaMethod[];
}

export async function insertMfaChallenge(
  db: Executor,
  tokenHash: Uint8Array,
  ticket: MfaTicket,
  ttlSeconds: number,
): Promise<void> {
  await db
    .insertInto("mfa_challenges")
    .values({
      token_hash: tokenHash,
      user_id: ticket.userId,
      methods: ticket.methods.join(" "),
      expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})`,
    })
    .execute();
}

/**
 * Takes one try from a live ticket before anything is checked against it, so
 * that it is checked at most `maxTries` times however many requests arrive at
 * once; undefined when it is unknown, expired or out of tries.
 */
export async function takeMfaChallengeTry(
  db: Executor,
  tokenHash: Uint8Array,
  maxTries: number,
): Promise<MfaTicket | undefined> {
  const row = await db
    .updateTable("mfa_challenges")
    .set((eb) => ({ tries: eb("tries", "+", 1) }))
    .where("token_hash", "=", tokenHash)
    .where("tries", "<", maxTries)
    .where("expires_at", ">", sql<Date>`now()`)
    .returning(["user_id", "methods"])
    .executeTakeFirst();
  return row && { userId: row.user_id, methods: row.methods.split(" ") as MfaMethod[] };
}

/** Uses a ticket once; of parallel uses exactly one is answered true. */
export async function consumeMfaChallenge(db: Executor, tokenHash: Uint8Array): Promise<boolean> {
  const row = await db
    .deleteFrom("mfa_challenges")
    .where("token_hash", "=", tokenHash)
    .returning("user_id")
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteExpiredMfaChallenges(db: Executor, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("mfa_challenges")
    .where(
      "token_hash",
      "in",
      db.selectFrom("mfa_challenges").select("token_hash").where("expires_at", "<", sql<Date>`now()`).limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
