import type { Secrets } from "../crypto/secrets.js";
import type { Executor } from "../db/connect.js";
import { insertMail } from "../db/repositories/outbox.js";
import type { MailContent } from "./templates.js";

/**
 * Writes mail into the outbox, inside the caller's transaction, so that a
 * mail exists exactly when the code or token it announces does. Delivery is
 * the sender's job; `wake` tells this process's sender to look now.
 */
export interface MailQueue {
  enqueue(db: Executor, mail: MailContent): Promise<void>;
  wake(): void;
}

export interface SealedParts {
  text: string;
  html: string;
}

export function createMailQueue(secrets: Secrets, wake: () => void = () => {}): MailQueue {
  return {
    async enqueue(db, mail) {
      const parts: SealedParts = { text: mail.text, html: mail.html };
      await insertMail(db, {
        kind: mail.kind,
        to: mail.to,
        subject: mail.subject,
        sealedBody: secrets.seal(JSON.stringify(parts)),
      });
    },
    wake: () => wake(),
  };
}
