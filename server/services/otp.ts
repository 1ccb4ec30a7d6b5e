import { randomInt } from "node:crypto";
import type { Client } from "../client-info.js";
import type { TokenPair } from "../contracts/auth.js";
import type { OtpRequestInput, OtpVerifyInput } from "../contracts/otp.js";
import type { MessageOutput } from "../contracts/user.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import { consumeOtpCode, replaceOtpCode, takeOtpTry } from "../db/repositories/otp-codes.js";
import { findUserByUsername } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, fieldError, NON_FIELD_ERRORS } from "../errors.js";
import { otpMail } from "../mail/templates.js";
import { amrOf } from "./amr.js";
import { refuseUnverifiedEmail } from "./email/gate.js";
import { requireSecondStep } from "./mfa/login-challenge.js";
import { passwordLogin, searchableUsername } from "./password-login.js";
import { startSession } from "./sessions.js";
import { consumeQuota, keys, LIMITS, takeAttempt } from "./throttle.js";

/** No account has this id (ids start at 1): what an unknown name's try is taken from. */
const NO_ACCOUNT = 0;

/** Tries a code allows; then it is dead. */
export const OTP_MAX_TRIES = 5;

const invalidCredentials = () => new AppError("invalid_credentials", "Invalid credentials");
const invalidOtp = () => new AppError("otp_invalid", "Invalid or expired OTP.");

/** Six digits from the CSPRNG, uniformly (leading zeros included). */
export const newOtpCode = () => String(randomInt(0, 1_000_000)).padStart(6, "0");

/**
 * Step one of OTP login: the password (a guarded password path), then a code
 * by mail, written with the code in one transaction; codes per account are
 * rationed. A new code replaces the pending one, with fresh tries.
 */
export async function requestOtp(
  deps: Deps,
  input: OtpRequestInput,
  client: Client,
): Promise<{ message: MessageOutput; deviceToken: string }> {
  const { user, secondFactors, deviceToken } = await passwordLogin(
    deps,
    client,
    input.username,
    input.password,
    "otp_login",
  ).catch((error: unknown) => {
    throw error instanceof AppError && error.code === "authentication_failed" ? invalidCredentials() : error;
  });
  await refuseUnverifiedEmail(deps, user);
  // The email code is a second step only for accounts with nothing stronger.
  await requireSecondStep(deps, user, client, "otp_login", secondFactors);
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
  return { message: { message: "OTP sent to your registered email address." }, deviceToken };
}

/**
 * Step two: the code. A try is taken from the pending code before it is
 * compared (in constant time), so it is compared at most 5 times however many
 * guesses arrive at once, and then it is dead; only a new password-checked
 * login makes another. Wrong codes lock nothing else: no one can lock the
 * owner out without the password. The client's IP has a ceiling too.
 */
export async function verifyOtp(deps: Deps, input: OtpVerifyInput, client: Client): Promise<TokenPair> {
  const attempt = await takeAttempt(
    deps.db,
    client.ip ? [{ key: keys.otpIp(client.ip), limit: LIMITS.otpIp, onSuccess: "return" }] : [],
  );
  const username = searchableUsername(input.username);
  const found = username === undefined ? undefined : await findUserByUsername(deps.db, username);
  // An inactive user's code is left alone: it works again after reactivation, as in the seed service.
  const user = found?.isActive ? found : undefined;
  // Unknown and inactive accounts go through the same statements (a try taken from no code,
  // a failure in the audit trail), so that the answer's timing does not tell which names exist.
  const stored = await takeOtpTry(deps.db, user?.id ?? NO_ACCOUNT, OTP_MAX_TRIES);
  const digest = deps.secrets.otpDigest(user?.id ?? NO_ACCOUNT, input.otp);
  if (!user || !stored || !deps.secrets.equal(stored, digest) || !(await consumeOtpCode(deps.db, user.id, stored))) {
    const who = found ? { userId: found.id } : { username };
    await recordEvent(deps.db, { event: "otp_failed", ...who, ...client });
    throw invalidOtp();
  }
  await attempt.succeeded();
  // A code mailed before the account enrolled a stronger factor does not skip it.
  await requireSecondStep(deps, user, client, "otp_verify");
  return startSession(deps, user, client, "otp", amrOf([{ factor: "password" }, { factor: "email_code" }]));
}
