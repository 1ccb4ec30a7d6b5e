import { createHash, randomBytes } from "node:crypto";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import type { Client } from "../../client-info.js";
import type { EmailStatus } from "../../contracts/email.js";
import type { MessageOutput } from "../../contracts/user.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import {
  consumeEmailToken,
  type EmailTokenPurpose,
  findPendingEmail,
  replaceEmailToken,
} from "../../db/repositories/email-tokens.js";
import { isEmailVerified, markEmailVerified, replaceEmail } from "../../db/repositories/user-email.js";
import { findUserByEmail, findUserById, type User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { fieldError, isUniqueViolation } from "../../errors.js";
import { emailChangedMail, emailVerificationMail } from "../../mail/email-templates.js";
import { consumeQuota, ipBucket, type Limit } from "../throttle.js";
import { notBefore } from "../timing.js";
import { emailTaken } from "../users.js";

type EmailDeps = Pick<Deps, "db" | "secrets" | "mail" | "config">;

/** Unknown and known addresses take at least this long to answer, so the timing tells nothing. */
export const RESEND_FLOOR_MS = 150;

export const VERIFICATION_LIMITS = {
  /** Verification mails asked for one address (known or not: the answer must not tell). */
  resendEmail: { limit: 3, windowSeconds: 3600 },
  resendIp: { limit: 20, windowSeconds: 3600 },
  /** Links to new addresses, per account. */
  changeAccount: { limit: 5, windowSeconds: 3600 },
} satisfies Record<string, Limit>;

const digest = (text: string) => createHash("sha256").update(text).digest("base64url");
export const verificationKeys = {
  resendEmail: (email: string) => `verify-mail:email:${digest(email.toLowerCase())}`,
  resendIp: (ip: string) => `verify-mail:ip:${ipBucket(ip)}`,
  changeAccount: (userId: number) => `change-email:user:${userId}`,
};

const invalidToken = () => fieldError("token", "Invalid or expired token.");

/**
 * Mails a single-use link (256 random bits, stored as SHA-256) for `email`:
 * the account's own (sign-up) or a new one (change). The token and the mail
 * are written in one transaction.
 */
export async function sendVerification(
  deps: EmailDeps,
  user: User,
  purpose: EmailTokenPurpose,
  email: string,
  client: Partial<Client> = {},
): Promise<void> {
  const token = encodeBase64urlNoPadding(randomBytes(32));
  const { timeout, url } = deps.config.emailVerification;
  await deps.db.transaction().execute(async (trx) => {
    await replaceEmailToken(trx, {
      userId: user.id,
      purpose,
      email,
      hash: deps.secrets.tokenDigest(token),
      ttlSeconds: timeout,
    });
    await deps.mail.enqueue(
      trx,
      emailVerificationMail({
        product: deps.config.mail.productName,
        to: email,
        username: user.username,
        token,
        ttlSeconds: timeout,
        verifyUrl: url,
        change: purpose === "change",
      }),
    );
    await recordEvent(trx, {
      event: purpose === "change" ? "email_change_requested" : "email_verification_sent",
      userId: user.id,
      ...client,
    });
  });
  deps.mail.wake();
}

/**
 * Uses a link once. A sign-up link verifies the address it was sent to; a
 * change link replaces the account's address with the new, now verified, one
 * and tells the old address.
 */
export async function verifyEmail(deps: EmailDeps, token: string, client: Client): Promise<MessageOutput> {
  const outcome = await deps.db
    .transaction()
    .execute(async (trx) => {
      const used = await consumeEmailToken(trx, deps.secrets.tokenDigest(token));
      if (!used) return undefined;
      const user = await findUserById(trx, used.userId);
      if (!user?.isActive) return undefined;
      if (used.purpose === "signup") {
        if (!(await markEmailVerified(trx, user.id, used.email))) return undefined;
        await recordEvent(trx, { event: "email_verified", userId: user.id, ...client });
        return "verified" as const;
      }
      const previous = await replaceEmail(trx, user.id, used.email);
      if (previous && previous !== "" && previous.toLowerCase() !== used.email.toLowerCase()) {
        await deps.mail.enqueue(
          trx,
          emailChangedMail(deps.config.mail.productName, previous, user.username, used.email),
        );
      }
      await recordEvent(trx, { event: "email_changed", userId: user.id, ...client, detail: { from: previous } });
      return "changed" as const;
    })
    .catch((error: unknown) => {
      // Another account took the address between the request and the link.
      if (isUniqueViolation(error, "users_email_key")) throw fieldError("email", emailTaken);
      throw error;
    });
  if (!outcome) throw invalidToken();
  if (outcome === "changed") deps.mail.wake();
  return { message: outcome === "changed" ? "Email address changed." : "Email address verified." };
}

/**
 * A new sign-up link for an active account whose address was never verified;
 * the same answer, in about the same time, for any address. Rationed per
 * address and per client, counted before anything else.
 */
export async function resendVerification(deps: EmailDeps, email: string, client: Client): Promise<MessageOutput> {
  const startedAt = Date.now();
  await consumeQuota(deps.db, [
    [verificationKeys.resendEmail(email), VERIFICATION_LIMITS.resendEmail],
    ...(client.ip
      ? ([[verificationKeys.resendIp(client.ip), VERIFICATION_LIMITS.resendIp]] satisfies Array<[string, Limit]>)
      : []),
  ]);
  const user = await findUserByEmail(deps.db, email);
  if (user?.isActive && (await isEmailVerified(deps.db, user.id)) === false) {
    await sendVerification(deps, user, "signup", user.email, client);
  }
  await notBefore(startedAt, RESEND_FLOOR_MS);
  return { message: "If that address belongs to an account waiting for verification, a new link has been sent." };
}

export async function emailStatus(deps: Pick<Deps, "db">, user: User): Promise<EmailStatus> {
  const [verified, pending] = await Promise.all([
    isEmailVerified(deps.db, user.id),
    findPendingEmail(deps.db, user.id),
  ]);
  return { email: user.email, verified: verified === true, pending_email: pending ?? null };
}
