import { isStorableText, PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH } from "../contracts/fields.js";
import type { Executor } from "../db/connect.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import { findUserByUsername, type User, upgradePasswordHash } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, texts } from "../errors.js";
import { assertNotBlocked, forgive, keys, LIMITS, type Limit, recordFailures } from "./throttle.js";

type LoginDeps = Pick<Deps, "db" | "hasher">;

export interface Client {
  ip: string | undefined;
  userAgent: string | undefined;
}

/** A username that could exist: anything else never reaches SQL (PostgreSQL refuses NUL bytes). */
export function searchableUsername(username: string): string | undefined {
  return username.length <= USERNAME_MAX_LENGTH && isStorableText(username) ? username : undefined;
}

export const invalidCredentials = () => new AppError("authentication_failed", texts.noActiveAccount);

/**
 * Username and password to a user, or one indistinguishable failure for a wrong
 * password, an unknown user and an inactive user, in about the same time.
 */
export async function authenticateWithPassword(deps: LoginDeps, username: string, password: string): Promise<User> {
  const name = searchableUsername(username);
  const user = name === undefined ? undefined : await findUserByUsername(deps.db, name);
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
 * Every password path goes through here: refused with 429 while the account
 * (or, past a generous ceiling, the client) is locked out; each failure is
 * counted for both and written to the audit trail; a success forgives the
 * account's earlier failures.
 */
export async function guardPasswordAttempt(
  deps: LoginDeps,
  client: Client,
  username: string,
  path: string,
  attempt: () => Promise<boolean>,
): Promise<boolean> {
  const accountKey = keys.passwordAccount(username);
  const ipKey = client.ip ? keys.passwordIp(client.ip) : undefined;
  const counted = await assertNotBlocked(deps.db, ipKey ? [accountKey, ipKey] : [accountKey]);
  if (await attempt()) {
    // Nothing to forgive on most logins: no statement then.
    if (counted.has(accountKey)) await forgive(deps.db, [accountKey]);
    return true;
  }
  await recordLoginFailure(deps.db, client, username, path, accountKey, ipKey);
  return false;
}

/** A username and password login, guarded: the user, or the one failure for every wrong case. */
export async function passwordLogin(
  deps: LoginDeps,
  client: Client,
  username: string,
  password: string,
  path: string,
): Promise<User> {
  let user: User | undefined;
  const ok = await guardPasswordAttempt(deps, client, username, path, async () => {
    user = await authenticateWithPassword(deps, username, password).catch((error: unknown) => {
      if (error instanceof AppError && error.code === "authentication_failed") return undefined;
      throw error;
    });
    return user !== undefined;
  });
  if (!ok || !user) throw invalidCredentials();
  return user;
}

async function recordLoginFailure(
  db: Executor,
  client: Client,
  username: string,
  path: string,
  accountKey: string,
  ipKey: string | undefined,
) {
  const entries: Array<[string, Limit]> = [[accountKey, LIMITS.passwordAccount]];
  if (ipKey) entries.push([ipKey, LIMITS.passwordIp]);
  const locked = await recordFailures(db, entries);
  const name = searchableUsername(username);
  await recordEvent(db, { event: "login_failed", username: name, ...client, detail: { path } });
  if (locked) await recordEvent(db, { event: "lockout", username: name, ...client, detail: { path } });
}
