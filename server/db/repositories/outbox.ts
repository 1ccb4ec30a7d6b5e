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
 * Claims due mail for one sender: rows locked by another sender are skipped,
 * and each claimed row is leased (pushed into the future) and counted as an
 * attempt, so a sender that dies mid-send gives it back after the lease.
 */
export async function claimDueMail(db: Executor, limit: number, leaseSeconds: number): Promise<ClaimedMail[]> {
  const rows = await db
    .updateTable("outbox_mails")
    .set({
      attempts: sql`attempts + 1`,
      next_attempt_at: sql`now() + make_interval(secs => ${leaseSeconds})`,
    })
    .where(
      "id",
      "in",
      db
        .selectFrom("outbox_mails")
        .select("id")
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", sql<Date>`now()`)
        .orderBy("next_attempt_at")
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning(["id", "kind", "to_address", "subject", "sealed_body", "attempts"])
    .execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    to: row.to_address,
    subject: row.subject,
    sealedBody: row.sealed_body,
    attempts: row.attempts,
  }));
}

/** Sent mail keeps its metadata but loses its body: no code outlives its delivery. */
export async function markSent(db: Executor, id: number): Promise<void> {
  await db
    .updateTable("outbox_mails")
    .set({ status: "sent", sent_at: sql`now()`, sealed_body: null, last_error: null })
    .where("id", "=", id)
    .execute();
}

export async function markRetry(db: Executor, id: number, delaySeconds: number, error: string): Promise<void> {
  await db
    .updateTable("outbox_mails")
    .set({ next_attempt_at: sql`now() + make_interval(secs => ${delaySeconds})`, last_error: error })
    .where("id", "=", id)
    .execute();
}

export async function markDead(db: Executor, id: number, error: string): Promise<void> {
  await db.updateTable("outbox_mails").set({ status: "dead", last_error: error }).where("id", "=", id).execute();
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

export async function listMail(db: Executor, statuses: MailStatus[], limit: number): Promise<MailListing[]> {
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
