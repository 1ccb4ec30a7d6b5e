import type { Client } from "../client-info.js";
import type { ReauthenticateInput, ReauthenticateOutput } from "../contracts/second-factor.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import { reauthenticateSession } from "../db/repositories/sessions.js";
import type { User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, fieldError, texts } from "../errors.js";
import { amrColumn, amrOf, type Proof } from "./amr.js";
import type { Authenticated } from "./auth.js";
import { secondFactorMethods } from "./mfa/login-challenge.js";
import { verifySecondFactor } from "./mfa/second-factor.js";
import { relyingParty } from "./passkeys/relying-party.js";
import { userAssertionOptions, verifyUserPasskey } from "./passkeys/user-assertion.js";
import { guardPasswordAttempt, ownerCounters } from "./password-login.js";
import { signAccess } from "./sessions.js";
import { consumeQuota, type Limit } from "./throttle.js";

type ReauthDeps = Pick<Deps, "db" | "secrets" | "config" | "tokens" | "hasher">;

/**
 * The password on the owner's own budget (no stranger can spend it), then the
 * TOTP or recovery code when TOTP is on; an account whose only second factor
 * is a passkey reauthenticates with the passkey.
 */
async function passwordProofs(deps: ReauthDeps, caller: Authenticated, input: ReauthenticateInput, client: Client) {
  const { user } = caller;
  const methods = await secondFactorMethods(deps, user);
  if (methods.length > 0 && !methods.includes("totp")) {
    throw fieldError("credential", "This account reauthenticates with its passkey.");
  }
  if (methods.includes("totp") && input.code === undefined) throw fieldError("code", "This field is required.");
  const ok = await guardPasswordAttempt(
    deps,
    client,
    ownerCounters(user.id),
    { username: user.username, userId: user.id, path: "reauthenticate" },
    () => deps.hasher.verify(user.passwordHash, input.password ?? ""),
  );
  if (!ok) throw fieldError("password", "Wrong password.");
  const proofs: Proof[] = [{ factor: "password" }];
  if (input.code !== undefined && methods.includes("totp")) {
    proofs.push({ factor: await verifySecondFactor(deps, user, input.code, client) });
  }
  return proofs;
}

/**
 * Step-up: the caller proves again who they are, and the session's `auth_time`
 * (and `amr`) become now's, so that the changes STEP_UP_MAX_AGE guards are
 * allowed again, and refreshed tokens keep it. Answers a new access token.
 */
export async function reauthenticate(
  deps: ReauthDeps,
  caller: Authenticated,
  input: ReauthenticateInput,
  client: Client,
): Promise<ReauthenticateOutput> {
  const { user, sid } = caller;
  const proofs =
    input.credential !== undefined
      ? [await verifyUserPasskey(deps, user, input.credential, "step_up", client)]
      : await passwordProofs(deps, caller, input, client);
  const amr = amrOf(proofs);
  let authTime = Math.floor(Date.now() / 1000);
  if (sid !== undefined) {
    const stored = await reauthenticateSession(deps.db, user.id, sid, amrColumn(amr));
    if (stored === undefined) throw new AppError("token_not_valid", texts.tokenInvalidOrExpired);
    authTime = stored;
  }
  await recordEvent(deps.db, { event: "reauthenticated", userId: user.id, ...client, detail: { amr } });
  const auth = { amr, authTime };
  const access =
    sid !== undefined
      ? await signAccess(deps, user.id, sid, user.tokenVersion, auth)
      : await deps.tokens.sign("access", user.id, { ver: user.tokenVersion, auth });
  return { access: access.token };
}

/** Passkey options for step-up write a challenge each: rationed per user. */
const OPTIONS_PER_USER: Limit = { limit: 20, windowSeconds: 300 };

export async function reauthenticateOptions(deps: ReauthDeps, user: User) {
  relyingParty(deps);
  await consumeQuota(deps.db, [[`reauth-options:user:${user.id}`, OPTIONS_PER_USER]]);
  return userAssertionOptions(deps, user, "step_up");
}
