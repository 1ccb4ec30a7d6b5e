import type { Client } from "../client-info.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import { findTotp } from "../db/repositories/totp.js";
import type { User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { TOTP_ENROLMENT_SECONDS, verifySecondFactor } from "../services/mfa/second-factor.js";
import { passwordLogin } from "../services/password-login.js";
import { endAdminSession, type StartedSession, startAdminSession } from "./session.js";

// Signing in to the console: the API's guarded password login (counted first,
// one answer for every failure), staff only, then the account's second factor
// when it has one.

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
  const awaitingSecondFactor = (await findTotp(deps.db, user.id, TOTP_ENROLMENT_SECONDS))?.confirmed === true;
  const session = await startAdminSession(deps, user, client, awaitingSecondFactor);
  if (!awaitingSecondFactor) await signedIn(deps, user, client, undefined);
  return { ...session, awaitingSecondFactor };
}

/**
 * The second step: a TOTP or recovery code (counted and checked by the same
 * function as the API's), then the waiting session is swapped for a full one,
 * once, however many requests race.
 */
export async function completeSecondFactor(
  deps: SignInDeps,
  pendingToken: string,
  user: User,
  code: string,
  client: Client,
): Promise<StartedSession> {
  const factor = await verifySecondFactor(deps, user, code.trim(), client);
  if (!(await endAdminSession(deps, pendingToken))) throw new AppError("not_authenticated", "Sign in again.");
  const session = await startAdminSession(deps, user, client, false);
  await signedIn(deps, user, client, factor);
  return session;
}

const signedIn = (deps: SignInDeps, user: User, client: Client, factor: string | undefined) =>
  recordEvent(deps.db, {
    event: "admin_signed_in",
    userId: user.id,
    ...client,
    ...(factor ? { detail: { factor } } : {}),
  });
