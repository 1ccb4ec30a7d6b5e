import { sql } from "kysely";
import type { Executor } from "../connect.js";

export interface NewMail {
  kind: string;
  to: string;
  subject: string;
  sealedBody: Uint8Array;
}

export interface ClaimedMail {
  id: number;
  kind: string;
  to: string;
  subject: string;
  sealedBody: Uint8Array | null;
  attempts: number;
}

export type MailStatus = "pending" | "sent" | "dead";

export async function insertMail(db: Executor, mail: NewMail): Promise<number> {
  const row = await db
    .insertInto("outbox_mails")
    .values({ kind: mail.kind, to_address: mail.to, subject: mail.subject, sealed_body: mail.sealedBody })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Claims the next due mail for one sender: rows locked by another sender are
 * skipped, and the claimed row is leased (pushed into the future) and counted
 * as an attempt, so a sender that dies mid-send gives it back after the lease.
 * One mail at a time: a lease then covers one delivery (renewed while it
 * lasts), never a queue of them, and several senders share the work.
 */
export async function claimNextMail(db: Executor, leaseSeconds: number): Promise<ClaimedMail | undefined> {
  const row = await db
    .updateTable("outbox_mails")
    .set({
      attempts: sql`attempts + 1`,
      next_attempt_at: sql`now() + make_interval(secs => ${leaseSeconds})`,
    })
    .where(
      "id",
      "=",
      db
        .selectFrom("outbox_mails")
        .select("id")
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", sql<Date>`now()`)
        .orderBy("next_attempt_at")
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .returning(["id", "kind", "to_address", "subject", "sealed_body", "attempts"])
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      kind: row.kind,
      to: row.to_address,
      subject: row.subject,
      sealedBody: row.sealed_body,
      attempts: row.attempts,
    }
  );
}

/**
 * A claim is its mail's id and attempt count: every later write names both, so
 * a sender whose lease was taken over (it stalled) changes nothing any more.
 * Each returns whether the claim still held.
 */
export type Claim = Pick<ClaimedMail, "id" | "attempts">;

const held = (db: Executor, claim: Claim) =>
  db
    .updateTable("outbox_mails")
    .where("id", "=", claim.id)
    .where("attempts", "=", claim.attempts)
    .where("status", "=", "pending");

const changed = (result: { numUpdatedRows: bigint }) => result.numUpdatedRows > 0n;

/** Pushes the lease further while the delivery lasts. */
export async function renewLease(db: Executor, claim: Claim, leaseSeconds: number): Promise<boolean> {
  return changed(
    await held(db, claim)
      .set({ next_attempt_at: sql`now() + make_interval(secs => ${leaseSeconds})` })
      .executeTakeFirstOrThrow(),
  );
}

/** Sent mail keeps its metadata but loses its body: no code outlives its delivery. */
export async function markSent(db: Executor, claim: Claim): Promise<boolean> {
  return changed(
    await held(db, claim)
      .set({ status: "sent", sent_at: sql`now()`, sealed_body: null, last_error: null })
      .executeTakeFirstOrThrow(),
  );
}

export async function markRetry(db: Executor, claim: Claim, delaySeconds: number, error: string): Promise<boolean> {
  return changed(
    await held(db, claim)
      .set({ next_attempt_at: sql`now() + make_interval(secs => ${delaySeconds})`, last_error: error })
      .executeTakeFirstOrThrow(),
  );
}

export async function markDead(db: Executor, claim: Claim, error: string): Promise<boolean> {
  return changed(await held(db, claim).set({ status: "dead", last_error: error }).executeTakeFirstOrThrow());
}

export interface MailListing {
  id: number;
  kind: string;
  to: string;
  subject: string;
  status: MailStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** Oldest first. */
export async function listMail(
  db: Executor,
  statuses: MailStatus[],
  limit: number,
  offset = 0,
): Promise<MailListing[]> {
  const rows = await db
    .selectFrom("outbox_mails")
    .select([
      "id",
      "kind",
      "to_address",
      "subject",
      "status",
      "attempts",
      "next_attempt_at",
      "last_error",
      "created_at",
      "sent_at",
    ])
    .where("status", "in", statuses)
    .orderBy("id")
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    to: row.to_address,
    subject: row.subject,
    status: row.status as MailStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  }));
}

/** Dead mail back to pending, with a fresh count of attempts; all dead mail when `ids` is empty. */
export async function retryDeadMail(db: Executor, ids: number[]): Promise<number> {
  let query = db
    .updateTable("outbox_mails")
    .set({ status: "pending", attempts: 0, next_attempt_at: sql`now()` })
    .where("status", "=", "dead")
    .where("sealed_body", "is not", null);
  if (ids.length > 0) query = query.where("id", "in", ids);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countMail(db: Executor): Promise<Record<MailStatus, number>> {
  const rows = await db
    .selectFrom("outbox_mails")
    .select(["status", (eb) => eb.fn.countAll<number>().as("count")])
    .groupBy("status")
    .execute();
  const counts: Record<MailStatus, number> = { pending: 0, sent: 0, dead: 0 };
  for (const row of rows) counts[row.status as MailStatus] = Number(row.count);
  return counts;
}

/** Delivered mail older than the retention; pending and dead mail stays until handled. */
export async function deleteSentMail(db: Executor, olderThanSeconds: number, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("outbox_mails")
    .where(
      "id",
      "in",
      db
        .selectFrom("outbox_mails")
        .select("id")
        .where("status", "=", "sent")
        .where("sent_at", "<", sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
