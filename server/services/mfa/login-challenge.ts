import { randomBytes } from "node:crypto";
import type { Client } from "../../client-info.js";
import type { MfaMethod } from "../../contracts/errors.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import { insertMfaChallenge } from "../../db/repositories/mfa-challenges.js";
import { findSecondFactors, type SecondFactors } from "../../db/repositories/second-factors.js";
import type { User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";

/** Seconds between the password step and the second step. */
export const MFA_TOKEN_TTL_SECONDS = 300;
/** Tries an `mfa_token` allows (each code, and each passkey's options); then it is dead. */
export const MFA_TOKEN_TRIES = 5;

/**
 * The second factors the account can finish a login with; empty when the
 * password is all it has. A TOTP secret that no longer opens (SECRET_KEY
 * changed) still counts: it is refused at the second step, never skipped.
 */
export async function secondFactorMethods(deps: Pick<Deps, "db">, user: User): Promise<MfaMethod[]> {
  return methodsOf(await findSecondFactors(deps.db, user.id));
}

function methodsOf(factors: SecondFactors): MfaMethod[] {
  const methods: MfaMethod[] = [];
  if (factors.totp) methods.push("totp");
  if (factors.totp && factors.unusedRecoveryCodes > 0) methods.push("recovery_code");
  if (factors.passkeys > 0) methods.push("passkey");
  return methods;
}

/**
 * After a right password: an account with a second factor gets no tokens but
 * `mfa_required`, with a fresh single-use ticket for the second step (stored
 * as a hash) and the methods it can take. `factors`, when the login already
 * read them with the user, saves reading them again.
 */
export async function requireSecondStep(
  deps: Pick<Deps, "db" | "secrets">,
  user: User,
  client: Client,
  path: string,
  factors?: SecondFactors,
): Promise<void> {
  const methods = factors ? methodsOf(factors) : await secondFactorMethods(deps, user);
  if (methods.length === 0) return;
  const token = randomBytes(32).toString("base64url");
  await deps.db.transaction().execute(async (trx) => {
    const ticket = { userId: user.id, methods };
    await insertMfaChallenge(trx, deps.secrets.tokenDigest(token), ticket, MFA_TOKEN_TTL_SECONDS);
    await recordEvent(trx, { event: "mfa_required", userId: user.id, ...client, detail: { path, methods } });
  });
  throw new AppError("mfa_required", "A second factor is required.", { mfa: { mfa_token: token, methods } });
}

export const mfaTokenInvalid = () =>
  new AppError("mfa_token_invalid", "The second-factor ticket is invalid or expired: log in again.");
