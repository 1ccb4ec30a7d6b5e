import { createHash } from "node:crypto";
import { isIPv6 } from "node:net";
import type { Executor } from "../db/connect.js";
import {
  type CounterRule,
  clearKeys,
  returnHits,
  settleHits,
  type TakenHit,
  takeHits,
} from "../db/repositories/throttles.js";
import { AppError } from "../errors.js";

// Brute-force limits and quotas. Counted in PostgreSQL, so they hold across
// processes and instances, and counted *before* the work they guard: an
// attempt takes its hit first, so of any number of concurrent attempts at most
// the limit are ever evaluated (hashed, compared, mailed).

export interface Limit {
  /** Attempts a window allows. */
  limit: number;
  windowSeconds: number;
}

export const LIMITS = {
  /** Passwords tried for one account by clients it has never logged in from (a device token says otherwise). */
  passwordAccount: { limit: 10, windowSeconds: 60 },
  /** Passwords tried on one device that logged in to the account before (its own budget). */
  passwordDevice: { limit: 10, windowSeconds: 60 },
  /**
   * Passwords tried from one client IP, whatever the accounts. Attempts in
   * flight count until they succeed, so the ceiling also bounds a burst of
   * right passwords from one address (an office behind one NAT, a load test).
   */
  passwordIp: { limit: 300, windowSeconds: 60 },
  /** Old passwords tried by the signed-in owner (changing the password). */
  passwordOwner: { limit: 10, windowSeconds: 60 },
  /** Login codes tried from one client IP, whatever the accounts (each code also dies after 5 wrong tries). */
  otpIp: { limit: 100, windowSeconds: 60 },
  /** Login codes mailed to one account. */
  otpMailAccount: { limit: 5, windowSeconds: 600 },
  /** Reset mails asked for one email address (known or not: the answer must not tell). */
  resetMailEmail: { limit: 3, windowSeconds: 3600 },
  resetMailIp: { limit: 20, windowSeconds: 3600 },
  /** Reset confirmations with a wrong or stale token from one client IP. */
  resetConfirmIp: { limit: 20, windowSeconds: 600 },
  /** Accounts created from one client IP (the bench and a busy office stay far below). */
  registrationIp: { limit: 100, windowSeconds: 3600 },
} satisfies Record<string, Limit>;

/** Usernames and emails become fixed-size keys (no NUL bytes, no length issues, nothing readable). */
export const digest = (text: string) => createHash("sha256").update(text).digest("base64url");

/**
 * Whose budget an address spends. An IPv6 client is handed a whole /64 (2^64
 * addresses), so its per-IP budgets are per /64; an IPv4-mapped address is its IPv4 one.
 */
export function ipBucket(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const address = ip.split("%")[0] ?? ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  const [head = "", tail] = address.split("::");
  const first = head === "" ? [] : head.split(":");
  const last = tail ? tail.split(":") : [];
  const groups = tail === undefined ? first : [...first, ...Array(8 - first.length - last.length).fill("0"), ...last];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}

export const keys = {
  passwordAccount: (username: string) => `pw:acct:${digest(username)}`,
  passwordDevice: (deviceId: string) => `pw:dev:${deviceId}`,
  passwordIp: (ip: string) => `pw:ip:${ipBucket(ip)}`,
  passwordOwner: (userId: number) => `pw:user:${userId}`,
  otpIp: (ip: string) => `otp:ip:${ipBucket(ip)}`,
  otpMailAccount: (userId: number) => `otp-mail:user:${userId}`,
  resetMailEmail: (email: string) => `reset-mail:email:${digest(email.toLowerCase())}`,
  resetMailIp: (ip: string) => `reset-mail:ip:${ipBucket(ip)}`,
  resetConfirmIp: (ip: string) => `reset-confirm:ip:${ipBucket(ip)}`,
  registrationIp: (ip: string) => `register:ip:${ipBucket(ip)}`,
};

export const throttled = (secondsLeft: number) =>
  new AppError("throttled", `Request was throttled. Expected available in ${secondsLeft} seconds.`, {
    retryAfter: secondsLeft,
  });

/**
 * What a success does to a counter: a lockout forgives (`reset`), a ceiling
 * that only failures should fill gets its hit back (`return`), a quota keeps it.
 */
export type OnSuccess = "reset" | "return" | "keep";

export interface Counter {
  key: string;
  limit: Limit;
  onSuccess: OnSuccess;
}

export interface Attempt {
  /** The guarded work succeeded. */
  succeeded(): Promise<void>;
  /** This attempt took the last hit a window allows: if it fails, a lockout begins. */
  readonly lastAllowed: boolean;
}

export const counterRules = (counters: readonly Counter[]): CounterRule[] =>
  counters.map(({ key, limit }) => ({ key, maxHits: limit.limit, windowSeconds: limit.windowSeconds }));

/**
 * Takes one hit from every counter, or refuses the attempt with 429 and
 * Retry-After when any of them is spent; a refused attempt gives back what it
 * took from the others, since nothing was tried.
 */
export async function takeAttempt(db: Executor, counters: readonly Counter[]): Promise<Attempt> {
  return attemptFrom(db, counters, await takeHits(db, counterRules(counters)));
}

/** The attempt the hits `taken` from `counters` make (takeAttempt, once the hits are taken). */
export async function attemptFrom(db: Executor, counters: readonly Counter[], taken: TakenHit[]): Promise<Attempt> {
  const refused = taken.filter((hit) => hit.hits > hit.maxHits);
  if (refused.length > 0) {
    await returnHits(
      db,
      taken.filter((hit) => hit.hits <= hit.maxHits),
    );
    throw throttled(Math.max(...refused.map((hit) => hit.secondsLeft)));
  }
  const policy = new Map(counters.map((counter) => [counter.key, counter.onSuccess]));
  return {
    lastAllowed: taken.some((hit) => hit.hits === hit.maxHits),
    // One round trip: a login is several statements already.
    succeeded: () =>
      settleHits(
        db,
        counters.filter((counter) => counter.onSuccess === "reset").map((counter) => counter.key),
        taken.filter((hit) => policy.get(hit.key) === "return"),
      ),
  };
}

/** A quota for an action that costs something (a mail): counted first, never given back. */
export async function consumeQuota(db: Executor, entries: ReadonlyArray<[string, Limit]>): Promise<void> {
  await takeAttempt(
    db,
    entries.map(([key, limit]) => ({ key, limit, onSuccess: "keep" as const })),
  );
}

/** Lifts a lockout (a password reset or change proves the owner). */
export const forgive = clearKeys;
