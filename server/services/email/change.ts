import type { Client } from "../../client-info.js";
import type { ChangeEmailInput } from "../../contracts/email.js";
import type { MessageOutput } from "../../contracts/user.js";
import { findTaken, type User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { validationError } from "../../errors.js";
import { guardPasswordAttempt, ownerCounters } from "../password-login.js";
import { consumeQuota } from "../throttle.js";
import { emailTaken } from "../users.js";
import { sendVerification, VERIFICATION_LIMITS, verificationKeys } from "./verification.js";

type ChangeDeps = Pick<Deps, "db" | "secrets" | "mail" | "config" | "hasher">;

export const wrongPassword = "Password is not correct.";
export const sameEmail = "This is already your email address.";

/**
 * Asks to move the account to a new address: the password first (on the
 * guarded password path), then a link to the new address. The account keeps
 * its address until the link is used.
 */
export async function changeEmail(
  deps: ChangeDeps,
  user: User,
  input: ChangeEmailInput,
  client: Client,
): Promise<MessageOutput> {
  const passwordOk = await guardPasswordAttempt(
    deps,
    client,
    ownerCounters(user.id),
    { username: user.username, userId: user.id, path: "change_email" },
    () => deps.hasher.verify(user.passwordHash, input.password),
  );
  if (!passwordOk) throw validationError({ password: [wrongPassword] });
  if (input.email.toLowerCase() === user.email.toLowerCase()) throw validationError({ email: [sameEmail] });
  if ((await findTaken(deps.db, undefined, input.email)).email) throw validationError({ email: [emailTaken] });
  await consumeQuota(deps.db, [[verificationKeys.changeAccount(user.id), VERIFICATION_LIMITS.changeAccount]]);
  await sendVerification(deps, user, "change", input.email, client);
  return { message: "A verification link was sent to the new address; the change takes effect once it is used." };
}
