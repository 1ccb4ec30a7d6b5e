import type { Client } from "../../client-info.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import { useRecoveryCode } from "../../db/repositories/recovery-codes.js";
import { claimTotpStep, findTotp } from "../../db/repositories/totp.js";
import type { User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { consumeQuota, type Limit } from "../throttle.js";
import { normalizeRecoveryCode } from "./recovery-codes.js";
import { matchingStep, totpCodeOf } from "./totp-codes.js";

type FactorDeps = Pick<Deps, "db" | "secrets">;

/** A pending enrolment must be confirmed within this window. */
export const TOTP_ENROLMENT_SECONDS = 600;

/**
 * Attempts at codes per user, counted before each code is checked (success or
 * not). Phase two counts failures with the shared concurrency-safe counter.
 */
export const MFA_CODE_ATTEMPTS: Limit = { limit: 10, windowSeconds: 900 };
export const mfaAttemptKey = (userId: number) => `mfa-code:user:${userId}`;

export const invalidCode = () => new AppError("mfa_code_invalid", "Invalid or expired code.");
export const totpNotEnabled = () => new AppError("totp_not_enabled", "Two-factor authentication is not enabled.");

export const countCodeAttempt = (deps: FactorDeps, user: User) =>
  consumeQuota(deps.db, [[mfaAttemptKey(user.id), MFA_CODE_ATTEMPTS]]);

/** The secret of a credential, opened under SECRET_KEY; a secret that no longer opens is a disabled factor. */
function openSecret(deps: FactorDeps, user: User, sealed: Uint8Array): Uint8Array {
  const secret = deps.secrets.openTotpSecret(user.id, sealed);
  if (!secret) throw totpNotEnabled();
  return secret;
}

/**
 * Checks a TOTP code against the user's confirmed credential and uses its time
 * step (replays refused); true when this request used it.
 */
export async function acceptTotpCode(deps: FactorDeps, user: User, code: string, nowMs: number): Promise<boolean> {
  const credential = await findTotp(deps.db, user.id, TOTP_ENROLMENT_SECONDS);
  if (!credential?.confirmed) throw totpNotEnabled();
  const step = matchingStep(openSecret(deps, user, credential.sealedSecret), code, nowMs);
  return step !== undefined && claimTotpStep(deps.db, user.id, step, { confirm: false });
}

export type SecondFactor = "totp" | "recovery_code";

/**
 * A TOTP code or a recovery code of a user who has TOTP on, counted first,
 * then checked and used once; which kind it was, or `mfa_code_invalid`. The
 * same check serves the factor's own management now and, in phase two, the
 * login's second step and step-up.
 */
export async function verifySecondFactor(
  deps: FactorDeps,
  user: User,
  input: string,
  client: Client,
  nowMs = Date.now(),
): Promise<SecondFactor> {
  await countCodeAttempt(deps, user);
  const totp = totpCodeOf(input);
  if (totp !== undefined) {
    if (await acceptTotpCode(deps, user, totp, nowMs)) return "totp";
  } else {
    const credential = await findTotp(deps.db, user.id, TOTP_ENROLMENT_SECONDS);
    if (!credential?.confirmed) throw totpNotEnabled();
    const recovery = normalizeRecoveryCode(input);
    if (
      recovery !== undefined &&
      (await useRecoveryCode(deps.db, user.id, deps.secrets.recoveryCodeDigest(user.id, recovery)))
    ) {
      await recordEvent(deps.db, { event: "recovery_code_used", userId: user.id, ...client });
      return "recovery_code";
    }
  }
  await recordEvent(deps.db, { event: "totp_failed", userId: user.id, ...client });
  throw invalidCode();
}
