import type { Client } from "../client-info.js";
import { type RegisterInput, registerInput } from "../contracts/auth.js";
import type { FieldErrors } from "../contracts/errors.js";
import { pythonStrip } from "../contracts/fields.js";
import type { ChangePasswordInput, MessageOutput, PublicUser } from "../contracts/user.js";
import type { Executor } from "../db/connect.js";
import { type AuthEventName, detachEventsFromUser, recordEvent } from "../db/repositories/auth-events.js";
import { deleteTokensOfUser } from "../db/repositories/refresh-tokens.js";
import { consumeResetToken } from "../db/repositories/reset-tokens.js";
import {
  deleteUser,
  findAcceptedProfile,
  findTaken,
  insertUser,
  lockUser,
  type Profile,
  setPasswordHash,
  setUserFlags,
  type TokenClaims,
  type User,
  type UserFlags,
  type UserRef,
} from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { isUniqueViolation, NON_FIELD_ERRORS, validationError } from "../errors.js";
import { passwordChangedMail } from "../mail/templates.js";
import { ownerRefused } from "./auth.js";
import { sendVerification } from "./email/verification.js";
import { guardPasswordAttempt, lockoutKeys, ownerCounters } from "./password-login.js";
import { checkPassword, passwordMismatch } from "./password-policy.js";
import { endEverySession } from "./sessions.js";
import { forgive, keys, LIMITS, takeAttempt } from "./throttle.js";

type UserDeps = Pick<Deps, "db" | "hasher">;
type RegisterDeps = Pick<Deps, "db" | "hasher" | "secrets" | "mail" | "config">;
type PasswordDeps = Pick<Deps, "db" | "hasher" | "mail" | "config">;

export const usernameTaken = "A user with that username already exists.";
export const emailTaken = "A user with that email already exists.";

/** The token holder's profile, read with the token's check in one statement (ownerProcedure). */
export async function profileOf(deps: Pick<Deps, "db">, token: TokenClaims): Promise<PublicUser> {
  const profile = await findAcceptedProfile(deps.db, token);
  if (!profile) throw ownerRefused();
  return toPublicUser(profile);
}

export function toPublicUser(user: Profile): PublicUser {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
  };
}

export interface NewAccount {
  username: string;
  email: string;
  password: string;
  first_name?: string;
  last_name?: string;
  is_staff?: boolean;
  is_superuser?: boolean;
  /** False for self sign-ups; accounts an operator makes count as verified. */
  emailVerified?: boolean;
}

/**
 * Input has passed the contract and the password rules; what is left needs
 * the database. Sign-ups are counted per client IP before anything is hashed.
 * A self sign-up's address is unverified until its link is used (a link is
 * mailed when REQUIRE_EMAIL_VERIFICATION is on).
 */
/** One sign-up from this client, valid or not, taken from its IP's ceiling (429 with Retry-After once spent). */
export async function takeRegistrationAttempt(db: Executor, client: Client): Promise<void> {
  if (!client.ip) return;
  await takeAttempt(db, [{ key: keys.registrationIp(client.ip), limit: LIMITS.registrationIp, onSuccess: "keep" }]);
}

export async function registerUser(deps: RegisterDeps, input: RegisterInput, client: Client): Promise<PublicUser> {
  await takeRegistrationAttempt(deps.db, client);
  const user = await createAccount(deps, { ...input, emailVerified: false }, { event: "user_registered", client });
  if (deps.config.emailVerification.required) await sendVerification(deps, user, "signup", user.email);
  return toPublicUser(user);
}

/**
 * When registration input fails validation, DRF still reports the username and
 * email that are taken (its UniqueValidator is a field validator), and never the
 * mismatch of the two passwords (its `validate()` runs only when every field
 * passed). The errors come in the serializer's field order.
 */
export async function registrationErrors(deps: UserDeps, raw: unknown, fields: FieldErrors): Promise<FieldErrors> {
  const input = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const candidate = (key: string) => {
    const value = input[key];
    return typeof value === "string" && fields[key] === undefined ? pythonStrip(value) : undefined;
  };
  const username = candidate("username");
  const email = candidate("email");
  const taken = await findTaken(deps.db, username, email);
  const all: FieldErrors = { ...fields };
  if (taken.username) all.username = [usernameTaken];
  if (taken.email) all.email = [emailTaken];
  const others = Object.keys(all).some((key) => key !== "password" || all[key]?.some((m) => m !== passwordMismatch));
  if (others && all.password) {
    const password = all.password.filter((message) => message !== passwordMismatch);
    if (password.length > 0) all.password = password;
    else delete all.password;
  }
  const order = [...Object.keys(registerInput.shape), NON_FIELD_ERRORS];
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)));
}

/** Who changes an account, for the audit trail: `cli`, or the admin console's user. */
export interface Actor {
  by: string;
  client?: Client;
}

/**
 * A new account, or field errors for a username or email (ignoring case)
 * already taken. The audit trail gets `user_registered` (the API) or
 * `user_created` (an operator) in the same transaction.
 */
export async function createAccount(
  deps: UserDeps,
  input: NewAccount,
  audit: { event: "user_registered"; client: Client } | ({ event: "user_created" } & Actor),
): Promise<User> {
  // Checked first so that both fields are reported at once; the unique indexes still close the race.
  const taken = await findTaken(deps.db, input.username, input.email);
  if (taken.username || taken.email) {
    throw validationError({
      ...(taken.username ? { username: [usernameTaken] } : {}),
      ...(taken.email ? { email: [emailTaken] } : {}),
    });
  }
  const passwordHash = await deps.hasher.hash(input.password);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const user = await insertUser(trx, {
        username: input.username,
        email: input.email,
        first_name: input.first_name ?? "",
        last_name: input.last_name ?? "",
        password_hash: passwordHash,
        is_staff: input.is_staff ?? false,
        is_superuser: input.is_superuser ?? false,
        ...(input.emailVerified === false ? { email_verified_at: null } : {}),
      });
      await recordEvent(trx, {
        event: audit.event,
        userId: user.id,
        ...audit.client,
        ...(audit.event === "user_created"
          ? { detail: { by: audit.by, is_staff: user.isStaff, is_superuser: user.isSuperuser } }
          : {}),
      });
      return user;
    });
  } catch (error) {
    if (isUniqueViolation(error, "users_username_key")) throw validationError({ username: [usernameTaken] });
    if (isUniqueViolation(error, "users_email_key")) throw validationError({ email: [emailTaken] });
    throw error;
  }
}

export const ownerOf = (user: User) => ({
  username: user.username,
  email: user.email,
  first_name: user.firstName,
  last_name: user.lastName,
});

export const oldPasswordWrong = "Old password is not correct.";

/** DRF's order: a wrong old password wins, then the mismatch, then the policy (with similarity). */
export async function changePassword(
  deps: PasswordDeps,
  user: User,
  input: ChangePasswordInput,
  client: Client,
): Promise<MessageOutput> {
  const oldPasswordOk = await guardPasswordAttempt(
    deps,
    client,
    ownerCounters(user.id),
    { username: user.username, userId: user.id, path: "change_password" },
    () => deps.hasher.verify(user.passwordHash, input.old_password),
  );
  if (!oldPasswordOk) throw validationError({ old_password: [oldPasswordWrong] });
  if (input.password !== input.password2) throw validationError({ password: [passwordMismatch] });
  const policy = checkPassword(input.password, ownerOf(user));
  if (policy.length > 0) throw validationError({ password: policy });
  await setPassword(deps, user, input.password, { client, event: "password_changed" });
  return { message: "Password updated successfully." };
}

/**
 * Stores a new password and, since it ends every session the old one opened,
 * revokes them and refuses the access tokens issued so far; the "your password
 * was changed" mail and the audit event are written in the same transaction.
 * With a reset token, the token is consumed there too: false when it was
 * already gone. Either proves the owner, so the account's lockout of unknown
 * clients is lifted.
 */
export async function setPassword(
  deps: PasswordDeps,
  user: User,
  password: string,
  options: { resetTokenHash?: Uint8Array; client?: Client; event?: "password_changed" | "password_reset" } = {},
): Promise<boolean> {
  const passwordHash = await deps.hasher.hash(password);
  const changed = await deps.db.transaction().execute(async (trx) => {
    if (options.resetTokenHash && !(await consumeResetToken(trx, user.id, options.resetTokenHash))) return false;
    await setPasswordHash(trx, user.id, passwordHash);
    await endEverySession(trx, user.id, "password_changed");
    await forgive(trx, lockoutKeys(user.username));
    await deps.mail.enqueue(
      trx,
      passwordChangedMail(deps.config.mail.productName, user.email, user.username, new Date()),
    );
    await recordEvent(trx, { event: options.event ?? "password_changed", userId: user.id, ...options.client });
    return true;
  });
  if (changed) deps.mail.wake();
  return changed;
}

/**
 * What an operator may change about an account. A superuser is always staff:
 * granting superuser grants staff, and revoking staff revokes superuser.
 */
const ACCOUNT_CHANGES = {
  activate: { flags: { is_active: true }, event: "user_activated" },
  deactivate: { flags: { is_active: false }, event: "user_deactivated" },
  staff: { flags: { is_staff: true }, event: "user_staff_granted" },
  unstaff: { flags: { is_staff: false, is_superuser: false }, event: "user_staff_revoked" },
  superuser: { flags: { is_staff: true, is_superuser: true }, event: "user_superuser_granted" },
  unsuperuser: { flags: { is_superuser: false }, event: "user_superuser_revoked" },
} satisfies Record<string, { flags: UserFlags; event: AuthEventName }>;

export type AccountChange = keyof typeof ACCOUNT_CHANGES;
export const ACCOUNT_CHANGE_NAMES = Object.keys(ACCOUNT_CHANGES) as AccountChange[];

const hasFlags = (user: User, flags: UserFlags) =>
  (flags.is_active === undefined || flags.is_active === user.isActive) &&
  (flags.is_staff === undefined || flags.is_staff === user.isStaff) &&
  (flags.is_superuser === undefined || flags.is_superuser === user.isSuperuser);

/**
 * Changes an account for the CLI, the API and the admin console alike, and
 * audits it, in one transaction. It takes effect at the next request: a
 * deactivation refuses the access tokens issued so far and ends every
 * session; the staff and superuser flags are read from the user's row.
 * Undefined when there is no such user; `changed` is false when it already
 * was so (nothing is written then).
 */
export async function changeAccount(
  deps: Pick<Deps, "db">,
  ref: UserRef,
  change: AccountChange,
  actor: Actor,
): Promise<{ user: User; changed: boolean } | undefined> {
  const { flags, event } = ACCOUNT_CHANGES[change];
  return deps.db.transaction().execute(async (trx) => {
    const user = await lockUser(trx, ref);
    if (!user) return undefined;
    if (hasFlags(user, flags)) return { user, changed: false };
    const changed = await setUserFlags(trx, user.id, flags);
    if (change === "deactivate") await endEverySession(trx, user.id, "deactivated");
    await recordEvent(trx, {
      event,
      userId: user.id,
      ...actor.client,
      detail: {
        by: actor.by,
        is_active: changed.isActive,
        is_staff: changed.isStaff,
        is_superuser: changed.isSuperuser,
      },
    });
    return { user: changed, changed: true };
  });
}

/** Deletes an account with its tasks and sessions; its audit trail stays, under its name. */
export async function deleteAccount(deps: Pick<Deps, "db">, ref: UserRef, actor: Actor): Promise<User | undefined> {
  return deps.db.transaction().execute(async (trx) => {
    const user = await lockUser(trx, ref);
    if (!user) return undefined;
    await detachEventsFromUser(trx, user.id, user.username);
    await deleteTokensOfUser(trx, user.id);
    await deleteUser(trx, user.id);
    await recordEvent(trx, {
      event: "user_deleted",
      username: user.username,
      ...actor.client,
      detail: { by: actor.by },
    });
    return user;
  });
}
