import type { Db } from "../db/connect.js";
import { type Claim, renewLease } from "../db/repositories/outbox.js";
import type { Logger } from "../logger.js";

/**
 * Keeps a claimed mail's lease alive while it is being delivered: renewed
 * every third of the lease, so a slow SMTP server never lets another sender
 * take the mail over and send it again. Should this process die, renewals
 * stop and the mail comes back to the others when the lease runs out.
 */
export function holdLease(db: Db, claim: Claim, leaseMs: number, log: Logger): { release(): Promise<void> } {
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewLease(db, claim, leaseMs / 1000).then(
      (kept) => {
        if (!kept) log.warn({ mailId: claim.id }, "mail lease lost: another sender took the mail over");
      },
      // The database may be down for a moment: the lease holds until it runs out.
      (error: unknown) => log.warn({ mailId: claim.id, reason: String(error) }, "mail lease not renewed"),
    );
  }, leaseMs / 3);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await renewing;
    },
  };
}
