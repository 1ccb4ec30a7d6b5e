import { recordEvent } from "../db/repositories/auth-events.js";
import { retryDeadMail } from "../db/repositories/outbox.js";
import type { Deps } from "../deps.js";

/**
 * Dead mail back in the queue (all of it when `ids` is empty), audited with who
 * asked, for the command line and the admin console; the count requeued.
 */
export async function retryMail(deps: Pick<Deps, "db" | "mail">, ids: number[], by: string): Promise<number> {
  const count = await deps.db.transaction().execute(async (trx) => {
    const requeued = await retryDeadMail(trx, ids);
    if (requeued > 0) await recordEvent(trx, { event: "mail_retried", detail: { by, ids, requeued } });
    return requeued;
  });
  if (count > 0) deps.mail.wake();
  return count;
}
