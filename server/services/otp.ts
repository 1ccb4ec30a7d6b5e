import { randomInt } from "node:crypto";
import type { TokenPair } from "../contracts/auth.js";
import type { OtpRequestInput, OtpVerifyInput } from "../contracts/otp.js";
import type { MessageOutput } from "../contracts/user.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import { countFailedOtpAttempt, deleteOtpCode, lockOtpCode, replaceOtpCode } from "../db/repositories/otp-codes.js";
import { findUserByUsername } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, fieldError, NON_FIELD_ERRORS } from "../errors.js";
import { otpMail } from "../mail/templates.js";
import { refuseUnverifiedEmail } from "./email/gate.js";
import { type Client, passwordLogin, searchableUsername } from "./password-login.js";
import { startSession } from "./sessions.js";
import { assertNotBlocked, consumeQuota, keys, LIMITS, recordFailures } from "./throttle.js";

/** Wrong codes a pending code survives; the next one kills it. */
export const OTP_MAX_FAILED_ATTEMPTS = 5;

const invalidCredentials = () => new AppError("invalid_credentials", "Invalid credentials");
const invalidOtp = () => new AppError("otp_invalid", "Invalid or expired OTP.");

/** Six digits from the CSPRNG, uniformly (leading zeros included). */
export const newOtpCode = () => String(randomInt(0, 1_000_000)).padStart(6, "0");

/**
 * Step one of OTP login: the password (a guarded password path), then a code
 * by mail, written with the code in one transaction; codes per account are
 * rationed.
 */
export async function requestOtp(deps: Deps, input: OtpRequestInput, client: Client): Promise<MessageOutput> {
  const user = await passwordLogin(deps, client, input.username, input.password, "otp_login").catch(
    (error: unknown) => {
      throw error instanceof AppError && error.code === "authentication_failed" ? invalidCredentials() : error;
    },
  );
  await refuseUnverifiedEmail(deps, user);
  // Accounts imported from Django may have none; the password was right, so saying so reveals nothing.
  if (user.email === "") throw fieldError(NON_FIELD_ERRORS, "This account has no email address to send a code to.");
  await consumeQuota(deps.db, [[keys.otpMailAccount(user.id), LIMITS.otpMailAccount]]);
  const code = newOtpCode();
  const { ttl } = deps.config.otp;
  await deps.db.transaction().execute(async (trx) => {
    await replaceOtpCode(trx, user.id, deps.secrets.otpDigest(user.id, code), ttl);
    await deps.mail.enqueue(trx, otpMail(deps.config.mail.productName, user.email, code, ttl));
    await recordEvent(trx, { event: "otp_sent", userId: user.id, ...client });
  });
  deps.mail.wake();
  return { message: "OTP sent to your registered email address." };
}

type Verdict = "ok" | "invalid";

/**
 * Step two: the code, compared in constant time, once. A wrong code counts
 * against it (committed though the request fails; the fifth kills it) and
 * against the account, whose count a new code does not reset.
 */
export async function verifyOtp(deps: Deps, input: OtpVerifyInput, client: Client): Promise<TokenPair> {
  const username = searchableUsername(input.username);
  const user = username === undefined ? undefined : await findUserByUsername(deps.db, username);
  // An inactive user's code is left alone: it works again after reactivation, as in the seed service.
  if (!user?.isActive) throw invalidOtp();
  const accountKey = keys.otpFailuresAccount(user.id);
  await assertNotBlocked(deps.db, [accountKey]);
  const digest = deps.secrets.otpDigest(user.id, input.otp);

  const verdict = await deps.db.transaction().execute(async (trx): Promise<Verdict> => {
    const pending = await lockOtpCode(trx, user.id);
    if (!pending) return "invalid";
    if (pending.expired || pending.failedAttempts >= OTP_MAX_FAILED_ATTEMPTS) {
      await deleteOtpCode(trx, user.id);
      return "invalid";
    }
    if (!deps.secrets.equal(pending.codeHash, digest)) {
      await countFailedOtpAttempt(trx, user.id);
      return "invalid";
    }
    await deleteOtpCode(trx, user.id);
    return "ok";
  });
  if (verdict !== "ok") {
    const locked = await recordFailures(deps.db, [[accountKey, LIMITS.otpFailuresAccount]]);
    await recordEvent(deps.db, { event: "otp_failed", userId: user.id, ...client });
    if (locked) await recordEvent(deps.db, { event: "lockout", userId: user.id, ...client, detail: { path: "otp" } });
    throw invalidOtp();
  }
  return startSession(deps, user, client, "otp");
}
