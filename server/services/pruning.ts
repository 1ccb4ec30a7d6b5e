import { sql } from "kysely";
import type { Db } from "../db/connect.js";
import { deleteExpiredAdminSessions } from "../db/repositories/admin-sessions.js";
import { deleteDeadOtpCodes } from "../db/repositories/otp-codes.js";
import { deleteSentMail } from "../db/repositories/outbox.js";
import { deleteExpiredRefreshTokens } from "../db/repositories/refresh-tokens.js";
import { deleteExpiredResetTokens } from "../db/repositories/reset-tokens.js";
import { deleteDeadSessions } from "../db/repositories/sessions.js";
import { deleteStaleThrottles } from "../db/repositories/throttles.js";
import type { Logger } from "../logger.js";
import { OTP_MAX_TRIES } from "./otp.js";
import { pruneStrongAuth } from "./strong-auth-pruning.js";

/** Rows deleted, by kind. */
export interface Pruned {
  refreshTokens: number;
  sessions: number;
  otpCodes: number;
  resetTokens: number;
  throttles: number;
  sentMail: number;
  /** Expired WebAuthn challenges and email links, unconfirmed TOTP enrolments. */
  strongAuth: number;
  adminSessions: number;
}

export const PRUNE_BATCH = 5_000;
/** Delivered mail is kept this long (sealed) for support questions, then deleted. */
export const SENT_MAIL_RETENTION_SECONDS = 7 * 86_400;
/** Counters whose window ended this long ago go (windows last an hour at most). */
const THROTTLE_RETENTION_SECONDS = 86_400;
// One key for the whole cluster: pg_try_advisory_xact_lock lets one process prune at a time.
export const PRUNE_LOCK_KEY = 7_264_110_315;

const none = (): Pruned => ({
  refreshTokens: 0,
  sessions: 0,
  otpCodes: 0,
  resetTokens: 0,
  throttles: 0,
  sentMail: 0,
  strongAuth: 0,
  adminSessions: 0,
});

/**
 * One bounded batch of every kind, in one transaction, under the advisory
 * lock; undefined when another process holds it (it is pruning already).
 */
export async function pruneBatch(db: Db, limit = PRUNE_BATCH): Promise<Pruned | undefined> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{
      locked: boolean;
    }>`select pg_try_advisory_xact_lock(${PRUNE_LOCK_KEY}) as locked`.execute(trx);
    if (!rows[0]?.locked) return undefined;
    return {
      refreshTokens: await deleteExpiredRefreshTokens(trx, limit),
      sessions: await deleteDeadSessions(trx, limit),
      otpCodes: await deleteDeadOtpCodes(trx, OTP_MAX_TRIES, limit),
      resetTokens: await deleteExpiredResetTokens(trx, limit),
      throttles: await deleteStaleThrottles(trx, THROTTLE_RETENTION_SECONDS, limit),
      sentMail: await deleteSentMail(trx, SENT_MAIL_RETENTION_SECONDS, limit),
      strongAuth: await pruneStrongAuth(trx, limit),
      adminSessions: await deleteExpiredAdminSessions(trx, limit),
    };
  });
}

/**
 * Batches until nothing is left (or `maxBatches`), each in its own short
 * transaction so that no lock is held for long; undefined when another
 * process was pruning.
 */
export async function pruneAll(db: Db, options: { limit?: number; maxBatches?: number } = {}) {
  const limit = options.limit ?? PRUNE_BATCH;
  const total = none();
  for (let batch = 0; batch < (options.maxBatches ?? Number.POSITIVE_INFINITY); batch += 1) {
    const pruned = await pruneBatch(db, limit);
    if (!pruned) return batch === 0 ? undefined : total;
    for (const key of Object.keys(total) as Array<keyof Pruned>) total[key] += pruned[key];
    if (Object.values(pruned).every((count) => count < limit)) break;
  }
  return total;
}

export interface Pruner {
  start(): void;
  /** Stops the timer and waits for the pass in progress. */
  stop(): Promise<void>;
}

// setTimeout fires at once for delays past 2^31 - 1 ms (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Prunes every `intervalSeconds`. The first pass comes at a random point of
 * the second half of the interval, so that workers spread out and a server
 * that is started and stopped quickly (a test) does not prune at all.
 */
export function createPruner(db: Db, log: Logger, intervalSeconds: number): Pruner {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let stopped = false;
  const pass = async () => {
    try {
      // Bounded per pass: a backlog (say, after an import) is worked off over several passes.
      const pruned = await pruneAll(db, { maxBatches: 20 });
      if (pruned && Object.values(pruned).some((count) => count > 0)) log.info({ pruned }, "pruned expired rows");
    } catch (error) {
      log.warn({ reason: error instanceof Error ? error.message : String(error) }, "pruning pass failed");
    }
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        current = pass().then(() => schedule(intervalSeconds * 1_000));
      },
      Math.min(ms, MAX_TIMER_MS),
    ).unref();
  };
  return {
    start: () => schedule((0.5 + Math.random() / 2) * intervalSeconds * 1_000),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
