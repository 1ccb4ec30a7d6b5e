import type { Client } from "../client-info.js";
import { isStorableText, PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH } from "../contracts/fields.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import type { SecondFactors } from "../db/repositories/second-factors.js";
import {
  findLoginUser,
  findUserByUsername,
  type LoginUser,
  takeHitsFindingLoginUser,
  type User,
  upgradePasswordHash,
} from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, texts } from "../errors.js";
import { deviceIdFor, issueDeviceToken } from "./device-tokens.js";
import { type Attempt, attemptFrom, type Counter, counterRules, keys, LIMITS, takeAttempt } from "./throttle.js";

type LoginDeps = Pick<Deps, "db" | "hasher" | "secrets">;

/** A username that could exist: anything else never reaches SQL (PostgreSQL refuses NUL bytes). */
export function searchableUsername(username: string): string | undefined {
  return username.length <= USERNAME_MAX_LENGTH && isStorableText(username) ? username : undefined;
}

export const invalidCredentials = () => new AppError("authentication_failed", texts.noActiveAccount);

/**
 * Username and password to a user, or one indistinguishable failure for a wrong
 * password, an unknown user and an inactive user, in about the same time.
 */
export async function authenticateWithPassword(
  deps: LoginDeps,
  username: string,
  password: string,
  found?: { user: User | undefined },
): Promise<User> {
  const name = searchableUsername(username);
  const user = found ? found.user : name === undefined ? undefined : await findUserByUsername(deps.db, name);
  // Never hash more than the contracts allow (the seed's login endpoint has no limit of its own).
  const candidate = password.length > PASSWORD_MAX_LENGTH ? "" : password;
  const valid =
    user && candidate
      ? await deps.hasher.verify(user.passwordHash, candidate)
      : await deps.hasher.verifyNothing(candidate);
  if (!user || !valid || !user.isActive) throw invalidCredentials();
  if (deps.hasher.needsRehash(user.passwordHash)) await rehash(deps, user, candidate);
  return user;
}

/** As Django upgrades hashes on login: an imported or older hash becomes Argon2id at today's parameters. */
async function rehash(deps: LoginDeps, user: User, password: string): Promise<void> {
  const upgraded = await deps.hasher.hash(password);
  if (await upgradePasswordHash(deps.db, user.id, user.passwordHash, upgraded)) {
    await recordEvent(deps.db, {
      event: "password_rehashed",
      userId: user.id,
      detail: { from: user.passwordHash.slice(0, user.passwordHash.indexOf("$", 1)) },
    });
  }
}

/**
 * The counters a password attempt for `username` takes from. A device that
 * logged in to this account before has its own budget; every other client
 * shares the account's pool and its IP's ceiling, so a stranger's guesses can
 * lock out strangers only. A device token issued before the account's last
 * revocation (password change or reset, log out everywhere) counts for nothing.
 */
function loginCounters(deps: LoginDeps, client: Client, username: string, user: User | undefined): Counter[] {
  const device = deviceIdFor(deps.secrets, client.deviceToken, user && { ...user, username });
  if (device) return [{ key: keys.passwordDevice(device), limit: LIMITS.passwordDevice, onSuccess: "reset" }];
  return sharedCounters(client, username);
}

/** The counters of a client that is no known device of the account: the account's pool and its IP's ceiling. */
function sharedCounters(client: Client, username: string): Counter[] {
  const counters: Counter[] = [
    { key: keys.passwordAccount(username), limit: LIMITS.passwordAccount, onSuccess: "reset" },
  ];
  if (client.ip) counters.push({ key: keys.passwordIp(client.ip), limit: LIMITS.passwordIp, onSuccess: "return" });
  return counters;
}

/**
 * The account a login names, and the attempt taken for it (429 when spent),
 * before anything is hashed. A device token is checked against the account as
 * it is, so with one the account is read first and the counters chosen by it.
 * Without one the counters do not depend on the account, and the account is
 * read in the statement that takes the attempt: one round trip fewer.
 */
async function takeLoginAttempt(
  deps: LoginDeps,
  client: Client,
  username: string,
  name: string | undefined,
): Promise<{ account: LoginUser | undefined; attempt: Attempt }> {
  if (client.deviceToken === undefined && name !== undefined) {
    const counters = sharedCounters(client, username);
    const { taken, found } = await takeHitsFindingLoginUser(deps.db, counterRules(counters), name);
    return { account: found, attempt: await attemptFrom(deps.db, counters, taken) };
  }
  const account = name === undefined ? undefined : await findLoginUser(deps.db, name);
  const counters = loginCounters(deps, client, username, account?.user);
  return { account, attempt: await takeAttempt(deps.db, counters) };
}

/**
 * Every password check goes through here (a login through `settleAttempt`
 * once `takeLoginAttempt` has taken its attempt): the attempt is taken from its
 * counters before anything is hashed (429 with Retry-After when they are
 * spent), a failure is written to the audit trail, and the attempt that spends
 * a counter records the lockout.
 */
export async function guardPasswordAttempt(
  deps: Pick<Deps, "db">,
  client: Client,
  counters: Counter[],
  audit: PasswordAudit,
  check: () => Promise<boolean>,
): Promise<boolean> {
  return settleAttempt(deps, client, await takeAttempt(deps.db, counters), audit, check);
}

interface PasswordAudit {
  username: string | undefined;
  userId?: number;
  path: string;
}

/** An attempt already taken: the check, then the counters settled or the failure audited. */
async function settleAttempt(
  deps: Pick<Deps, "db">,
  client: Client,
  attempt: Attempt,
  audit: PasswordAudit,
  check: () => Promise<boolean>,
): Promise<boolean> {
  if (await check()) {
    await attempt.succeeded();
    return true;
  }
  const event = { userId: audit.userId, username: audit.username, ...client, detail: { path: audit.path } };
  await recordEvent(deps.db, { event: "login_failed", ...event });
  if (attempt.lastAllowed) await recordEvent(deps.db, { event: "lockout", ...event });
  return false;
}

export interface PasswordLogin {
  user: User;
  /** What the account must finish the login with, read with the user (before the password was checked). */
  secondFactors: SecondFactors;
  /** Proof for this client's next attempts (see device-tokens.ts), for the transport to hand back. */
  deviceToken: string;
}

/** A username and password login, guarded: the user, or the one failure for every wrong case. */
export async function passwordLogin(
  deps: LoginDeps,
  client: Client,
  username: string,
  password: string,
  path: string,
): Promise<PasswordLogin> {
  let user: User | undefined;
  const name = searchableUsername(username);
  const { account, attempt } = await takeLoginAttempt(deps, client, username, name);
  const found = { user: account?.user };
  const ok = await settleAttempt(deps, client, attempt, { username: name, path }, async () => {
    user = await authenticateWithPassword(deps, username, password, found).catch((error: unknown) => {
      if (error instanceof AppError && error.code === "authentication_failed") return undefined;
      throw error;
    });
    return user !== undefined;
  });
  if (!ok || !user || !account) throw invalidCredentials();
  return {
    user,
    secondFactors: account.secondFactors,
    deviceToken: issueDeviceToken(deps.secrets, { ...user, username }),
  };
}

/** The signed-in owner's own budget for old passwords (changing the password): no stranger can spend it. */
export const ownerCounters = (userId: number): Counter[] => [
  { key: keys.passwordOwner(userId), limit: LIMITS.passwordOwner, onSuccess: "reset" },
];

/** A password reset or change proves the owner: the account's lockout of unknown clients is lifted. */
export const lockoutKeys = (username: string) => [keys.passwordAccount(username)];
