import type { User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import type { TokenAuth } from "./auth.js";
import { secondFactorMethods } from "./mfa/login-challenge.js";

// Step-up: changing what proves who the user is (password, email, second
// factors) needs an authentication within STEP_UP_MAX_AGE, not just a live
// session, so that a stolen access token alone cannot take the account over.

export const reauthenticationRequired = () =>
  new AppError("reauthentication_required", "Recent authentication required.");

/** True when the token's `auth_time` is within STEP_UP_MAX_AGE; tokens without one (Django's) never are. */
export function isRecent(deps: Pick<Deps, "config">, auth: TokenAuth, nowMs = Date.now()): boolean {
  return auth.authTime !== undefined && nowMs / 1000 - auth.authTime <= deps.config.stepUpMaxAge;
}

export function requireRecentAuthentication(deps: Pick<Deps, "config">, auth: TokenAuth): void {
  if (!isRecent(deps, auth)) throw reauthenticationRequired();
}

/**
 * For changes that ask for the password themselves (password change, email
 * change): for an account whose only factor is the password, presenting it
 * is a complete reauthentication, so they work as in the Django service; an
 * account with a second factor needs a recent authentication as well.
 */
export async function requireRecentOrPasswordOnly(
  deps: Pick<Deps, "config" | "db">,
  user: User,
  auth: TokenAuth,
): Promise<void> {
  if (isRecent(deps, auth)) return;
  if ((await secondFactorMethods(deps, user)).length > 0) throw reauthenticationRequired();
}
