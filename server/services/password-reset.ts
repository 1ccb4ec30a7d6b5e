import { randomBytes } from "node:crypto";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import type { Client } from "../client-info.js";
import type { ResetConfirmInput } from "../contracts/password-reset.js";
import type { MessageOutput } from "../contracts/user.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import { findUsableResetToken, replaceResetToken } from "../db/repositories/reset-tokens.js";
import { findUserByEmail, findUserById, type User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { fieldError } from "../errors.js";
import { passwordResetMail } from "../mail/templates.js";
import { checkPassword, passwordMismatch } from "./password-policy.js";
import { consumeQuota, keys, LIMITS, type Limit, takeAttempt } from "./throttle.js";
import { notBefore } from "./timing.js";
import { ownerOf, setPassword } from "./users.js";

/** Unknown and known emails take at least this long, so the answer's timing tells nothing. */
export const RESET_REQUEST_FLOOR_MS = 150;

const invalidToken = () => fieldError("token", "Invalid or expired token.");

/** Django's uid: the user id's digits, base64url without padding (52 → "NTI"). */
export const encodeUid = (id: number) => Buffer.from(String(id), "utf8").toString("base64url");

function decodeUid(uid: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(uid)) return undefined;
  const digits = Buffer.from(uid, "base64url").toString("utf8");
  const id = /^\d{1,10}$/.test(digits) ? Number(digits) : Number.NaN;
  return Number.isSafeInteger(id) && id >= 1 && id <= 2_147_483_647 ? id : undefined;
}

/** Accounts that may reset: active, with a usable password (Django's PasswordResetForm.get_users). */
const canReset = (user: User | undefined): user is User =>
  user?.isActive === true && !user.passwordHash.startsWith("!");

/**
 * Mails a single-use reset token (256 random bits, stored hashed) to an active
 * account with that email; answers the same, in the same time, for any email.
 */
export async function requestPasswordReset(
  deps: Deps,
  email: string,
  client: Client,
  by?: string,
): Promise<MessageOutput> {
  const startedAt = Date.now();
  // Rationed per address (known or not, so a 429 tells nothing) and per client.
  await consumeQuota(deps.db, [
    [keys.resetMailEmail(email), LIMITS.resetMailEmail],
    ...(client.ip ? ([[keys.resetMailIp(client.ip), LIMITS.resetMailIp]] satisfies Array<[string, Limit]>) : []),
  ]);
  const user = await findUserByEmail(deps.db, email);
  if (canReset(user)) {
    const token = encodeBase64urlNoPadding(randomBytes(32));
    const { timeout, url } = deps.config.passwordReset;
    await deps.db.transaction().execute(async (trx) => {
      await replaceResetToken(trx, user.id, deps.secrets.tokenDigest(token), timeout);
      await deps.mail.enqueue(
        trx,
        passwordResetMail({
          product: deps.config.mail.productName,
          to: user.email,
          username: user.username,
          uid: encodeUid(user.id),
          token,
          ttlSeconds: timeout,
          resetUrl: url,
        }),
      );
      await recordEvent(trx, {
        event: "password_reset_requested",
        userId: user.id,
        ...client,
        ...(by === undefined ? {} : { detail: { by } }),
      });
    });
    deps.mail.wake();
  }
  await notBefore(startedAt, RESET_REQUEST_FLOOR_MS);
  return { message: "If an account with that email exists, a password reset email has been sent." };
}

/**
 * Django's order: the token first, then the mismatch, then the policy (with
 * similarity). Tries from one client IP are counted before the token is
 * looked up; a right token gives its hit back.
 */
export async function confirmPasswordReset(
  deps: Deps,
  input: ResetConfirmInput,
  client: Client,
): Promise<MessageOutput> {
  const attempt = await takeAttempt(
    deps.db,
    client.ip ? [{ key: keys.resetConfirmIp(client.ip), limit: LIMITS.resetConfirmIp, onSuccess: "return" }] : [],
  );
  const userId = decodeUid(input.uid);
  const user = userId === undefined || input.token.length > 256 ? undefined : await findUserById(deps.db, userId);
  const digest = deps.secrets.tokenDigest(input.token);
  if (!canReset(user) || !(await findUsableResetToken(deps.db, user.id, digest))) throw invalidToken();
  // A right token is not a guess: what follows (the new password's rules) spends nothing.
  await attempt.succeeded();
  if (input.password !== input.password2) throw fieldError("password", passwordMismatch);
  const policy = checkPassword(input.password, ownerOf(user));
  if (policy.length > 0) throw fieldError("password", ...policy);
  // The token is consumed in the same transaction as the new password; of two uses, one wins.
  const reset = await setPassword(deps, user, input.password, {
    resetTokenHash: digest,
    client,
    event: "password_reset",
  });
  if (!reset) throw invalidToken();
  return { message: "Password has been reset." };
}
