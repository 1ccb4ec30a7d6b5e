import { createHash } from "node:crypto";
import type { Executor } from "../db/connect.js";
import { clearKeys, hit, throttleState } from "../db/repositories/throttles.js";
import { AppError } from "../errors.js";

/**
 * Brute-force limits. Counted in PostgreSQL, so they hold across processes and
 * instances. An account's failures lock that account only: other accounts from
 * the same client keep working, up to a generous ceiling per client IP.
 */
export interface Limit {
  limit: number;
  windowSeconds: number;
  blockSeconds: number;
}

export const LIMITS = {
  /** Wrong passwords for one account, on every password path. */
  passwordAccount: { limit: 10, windowSeconds: 60, blockSeconds: 60 },
  /** Wrong passwords from one client IP, whatever the accounts. */
  passwordIp: { limit: 100, windowSeconds: 60, blockSeconds: 60 },
  /** Login codes mailed to one account. */
  otpMailAccount: { limit: 5, windowSeconds: 600, blockSeconds: 600 },
  /** Wrong login codes for one account, across codes (a new code does not reset it; one code dies after 5). */
  otpFailuresAccount: { limit: 10, windowSeconds: 900, blockSeconds: 900 },
  /** Reset mails asked for one email address (known or not: the answer must not tell). */
  resetMailEmail: { limit: 3, windowSeconds: 3600, blockSeconds: 3600 },
  resetMailIp: { limit: 20, windowSeconds: 3600, blockSeconds: 3600 },
} satisfies Record<string, Limit>;

/** Usernames and emails become fixed-size keys (no NUL bytes, no length issues, nothing readable). */
const digest = (text: string) => createHash("sha256").update(text).digest("base64url");

export const keys = {
  passwordAccount: (username: string) => `pw:acct:${digest(username)}`,
  passwordIp: (ip: string) => `pw:ip:${ip}`,
  otpMailAccount: (userId: number) => `otp-mail:user:${userId}`,
  otpFailuresAccount: (userId: number) => `otp-fail:user:${userId}`,
  resetMailEmail: (email: string) => `reset-mail:email:${digest(email.toLowerCase())}`,
  resetMailIp: (ip: string) => `reset-mail:ip:${ip}`,
};

export const throttled = (secondsLeft: number) =>
  new AppError("throttled", `Request was throttled. Expected available in ${secondsLeft} seconds.`, {
    retryAfter: secondsLeft,
  });

/** 429 with Retry-After when any of the keys is blocked; else the keys that have a counter. */
export async function assertNotBlocked(db: Executor, keyList: string[]): Promise<Set<string>> {
  const { blocked, counted } = await throttleState(db, keyList);
  if (blocked.length > 0) throw throttled(Math.max(...blocked.map((entry) => entry.secondsLeft)));
  return counted;
}

/** Counts a failure under each key; true when one of them just became blocked. */
export async function recordFailures(db: Executor, entries: Array<[string, Limit]>): Promise<boolean> {
  let locked = false;
  for (const [key, { limit, windowSeconds, blockSeconds }] of entries) {
    const result = await hit(db, key, limit, windowSeconds, blockSeconds);
    locked ||= result.blockedNow;
  }
  return locked;
}

/** Counts an action that has its own quota (mails); 429 once the quota is spent. */
export async function consumeQuota(db: Executor, entries: Array<[string, Limit]>): Promise<void> {
  await assertNotBlocked(
    db,
    entries.map(([key]) => key),
  );
  for (const [key, { limit, windowSeconds, blockSeconds }] of entries) {
    const result = await hit(db, key, limit + 1, windowSeconds, blockSeconds);
    if (result.hits > limit) throw throttled(blockSeconds);
  }
}

export const forgive = clearKeys;
