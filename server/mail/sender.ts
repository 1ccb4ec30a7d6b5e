import type { Secrets } from "../crypto/secrets.js";
import type { Db } from "../db/connect.js";
import { type ClaimedMail, claimNextMail, markDead, markRetry, markSent } from "../db/repositories/outbox.js";
import type { Logger } from "../logger.js";
import { holdLease } from "./lease.js";
import type { Mailer } from "./mailer.js";
import type { SealedParts } from "./queue.js";

export interface SenderOptions {
  /** How often due mail is looked for when nobody wakes the sender. */
  pollMs: number;
  /** First retry delay; each further failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failed attempts after which a mail is dead-lettered. */
  maxAttempts: number;
  /** A claimed mail comes back to others after this, should its sender die; renewed while it is being sent. */
  leaseMs: number;
  /** Longest a single delivery may take before it counts as failed. */
  sendTimeoutMs: number;
}

export const DEFAULT_SENDER_OPTIONS: SenderOptions = {
  pollMs: 2_000,
  baseDelayMs: 5_000,
  maxDelayMs: 15 * 60_000,
  maxAttempts: 8,
  leaseMs: 60_000,
  sendTimeoutMs: 60_000,
};

export interface OutboxSender {
  start(): void;
  /** Look for due mail now (after a request committed one). */
  wake(): void;
  /** Stops looking and waits for the delivery in progress. */
  stop(): Promise<void>;
  /** One pass over due mail; resolves to the number of mails handled. */
  drainOnce(): Promise<number>;
}

export interface SenderDeps {
  db: Db;
  mailer: Mailer;
  secrets: Secrets;
  log: Logger;
  from: string;
}

/**
 * Delivers the outbox with retries, exponential backoff and a dead letter,
 * across restarts and processes: each mail is claimed with FOR UPDATE SKIP
 * LOCKED under a lease renewed while it is sent, so several senders never
 * deliver the same mail twice, however slow the SMTP server.
 */
export function createOutboxSender(deps: SenderDeps, options: SenderOptions = DEFAULT_SENDER_OPTIONS): OutboxSender {
  let running = false;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  let busy = false;
  let wakeRequested = false;

  const delayFor = (attempts: number) => {
    const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempts - 1));
    return exponential * (0.8 + Math.random() * 0.4);
  };

  async function deliver(mail: ClaimedMail): Promise<void> {
    const opened = mail.sealedBody ? deps.secrets.open(mail.sealedBody) : undefined;
    if (opened === undefined) {
      await markDead(deps.db, mail, "the body cannot be opened (sealed under another SECRET_KEY?)");
      deps.log.error({ mailId: mail.id, kind: mail.kind }, "mail dead-lettered: unreadable body");
      return;
    }
    const parts = JSON.parse(opened) as SealedParts;
    const lease = holdLease(deps.db, mail, options.leaseMs, deps.log);
    let failure: unknown;
    try {
      await withTimeout(
        deps.mailer.send({ from: deps.from, to: mail.to, subject: mail.subject, text: parts.text, html: parts.html }),
        options.sendTimeoutMs,
      );
    } catch (error) {
      failure = error ?? new Error("unknown failure");
    } finally {
      await lease.release();
    }
    if (failure === undefined) {
      if (await markSent(deps.db, mail)) {
        deps.log.info({ mailId: mail.id, kind: mail.kind, attempts: mail.attempts }, "mail sent");
      } else {
        deps.log.warn(
          { mailId: mail.id, kind: mail.kind },
          "mail sent after its lease was taken over: it may arrive twice",
        );
      }
      return;
    }
    const reason = describe(failure);
    if (mail.attempts >= options.maxAttempts) {
      if (await markDead(deps.db, mail, reason)) {
        deps.log.error({ mailId: mail.id, kind: mail.kind, attempts: mail.attempts, reason }, "mail dead-lettered");
      }
    } else {
      const delay = delayFor(mail.attempts);
      await markRetry(deps.db, mail, delay / 1000, reason);
      deps.log.warn(
        { mailId: mail.id, kind: mail.kind, attempts: mail.attempts, retryInMs: Math.round(delay), reason },
        "mail delivery failed; will retry",
      );
    }
  }

  async function drainOnce(): Promise<number> {
    let handled = 0;
    for (;;) {
      const mail = await claimNextMail(deps.db, options.leaseMs / 1000);
      if (!mail) return handled;
      await deliver(mail);
      handled += 1;
      if (stopping) return handled;
    }
  }

  function schedule(ms: number) {
    clearTimeout(timer);
    if (running) timer = setTimeout(loop, ms).unref();
  }

  /** One pass at a time; a wake during a pass starts the next one right after it. */
  function loop() {
    busy = true;
    wakeRequested = false;
    current = drainOnce().then(
      () => {
        busy = false;
        schedule(wakeRequested ? 0 : options.pollMs);
      },
      (error: unknown) => {
        busy = false;
        // The database may be down: the mail stays where it is; look again later.
        deps.log.warn({ reason: describe(error) }, "outbox sender pass failed");
        schedule(options.pollMs);
      },
    );
  }

  return {
    start() {
      if (running) return;
      running = true;
      stopping = false;
      schedule(0);
    },
    wake() {
      wakeRequested = true;
      if (running && !busy) schedule(0);
    },
    async stop() {
      running = false;
      stopping = true;
      clearTimeout(timer);
      await current;
      deps.mailer.close();
    },
    drainOnce,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown; responseCode?: unknown }).code;
  const response = (error as { response?: unknown }).response;
  return [code, typeof response === "string" ? response : error.message].filter(Boolean).join(": ").slice(0, 500);
}
