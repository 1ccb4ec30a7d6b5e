import type { Client } from "../client-info.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import { setLastLogin, type User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { secondFactorMethods } from "../services/mfa/login-challenge.js";
import { countCodeAttempt, verifySecondFactor } from "../services/mfa/second-factor.js";
import { rationUserOptions } from "../services/passkeys/relying-party.js";
import { userAssertionOptions, verifyUserPasskey } from "../services/passkeys/user-assertion.js";
import { passwordLogin } from "../services/password-login.js";
import { endAdminSession, type StartedSession, startAdminSession } from "./session.js";

// Signing in to the console: the API's guarded password login (counted first,
// one answer for every failure), staff only, then the account's second factor
// when it has one (the API's rule: TOTP, recovery codes or a passkey).

type SignInDeps = Pick<Deps, "db" | "hasher" | "secrets" | "config">;

/** Django admin's words: a wrong password and an account that is not staff look the same. */
export const notStaffAccount = () =>
  new AppError(
    "authentication_failed",
    "Please enter the correct username and password for a staff account. Both fields may be case-sensitive.",
  );

export interface SignedIn extends StartedSession {
  awaitingSecondFactor: boolean;
}

export async function signInWithPassword(
  deps: SignInDeps,
  client: Client,
  username: string,
  password: string,
): Promise<SignedIn> {
  const { user } = await passwordLogin(deps, client, username, password, "admin").catch((error: unknown) => {
    if (error instanceof AppError && error.code === "authentication_failed") throw notStaffAccount();
    throw error;
  });
  if (!user.isStaff) {
    await recordEvent(deps.db, {
      event: "login_failed",
      userId: user.id,
      ...client,
      detail: { path: "admin", reason: "not_staff" },
    });
    throw notStaffAccount();
  }
  if ((await secondFactorMethods(deps, user)).length > 0) {
    return { ...(await startAdminSession(deps, user, client, true)), awaitingSecondFactor: true };
  }
  return { ...(await startFullSession(deps, user, client, undefined)), awaitingSecondFactor: false };
}

/** The second step with a TOTP or recovery code, counted and checked by the same function as the API's. */
export async function completeSecondFactor(
  deps: SignInDeps,
  pendingToken: string,
  user: User,
  code: string,
  client: Client,
): Promise<StartedSession> {
  const factor = await verifySecondFactor(deps, user, code.trim(), client);
  return swapForFullSession(deps, pendingToken, user, client, factor);
}

/** Options for the passkey step: the user's passkeys, a challenge bound to the user and the console. */
export async function passkeyOptions(deps: SignInDeps, user: User) {
  if (!(await secondFactorMethods(deps, user)).includes("passkey")) {
    throw new AppError("invalid_request", "This account has no passkey.");
  }
  await rationUserOptions(deps, user.id);
  return userAssertionOptions(deps, user, "admin");
}

/**
 * The second step with a passkey: counted with the codes' budget before it is
 * checked (a used challenge, another user's passkey or a bad signature is a
 * `passkey_invalid`, audited by the check), then as with a code.
 */
export async function completeWithPasskey(
  deps: SignInDeps,
  pendingToken: string,
  user: User,
  credential: unknown,
  client: Client,
): Promise<StartedSession> {
  await countCodeAttempt(deps, user);
  const proof = await verifyUserPasskey(deps, user, credential, "admin", client);
  return swapForFullSession(deps, pendingToken, user, client, proof.factor);
}

/** Only the request that removed the waiting session starts the full one: of parallel completions, one. */
async function swapForFullSession(
  deps: SignInDeps,
  pendingToken: string,
  user: User,
  client: Client,
  factor: string,
): Promise<StartedSession> {
  if (!(await endAdminSession(deps, pendingToken))) throw new AppError("not_authenticated", "Sign in again.");
  return startFullSession(deps, user, client, factor);
}

/** A signed-in staff member: the session, `last_login` as after any login, the audit trail. */
async function startFullSession(
  deps: SignInDeps,
  user: User,
  client: Client,
  factor: string | undefined,
): Promise<StartedSession> {
  const session = await startAdminSession(deps, user, client, false);
  await setLastLogin(deps.db, user.id);
  await recordEvent(deps.db, {
    event: "admin_signed_in",
    userId: user.id,
    ...client,
    ...(factor ? { detail: { factor } } : {}),
  });
  return session;
}
