import { isEmailVerified } from "../../db/repositories/user-email.js";
import type { User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";

export const emailNotVerified = () => new AppError("email_not_verified", "Email address is not verified.");

/**
 * With REQUIRE_EMAIL_VERIFICATION on, an account whose address was never
 * verified gets no tokens. Called only once the user has proved who they are
 * (the right password, a passkey), so the refusal tells a stranger nothing.
 */
export async function refuseUnverifiedEmail(deps: Pick<Deps, "db" | "config">, user: User): Promise<void> {
  if (!deps.config.emailVerification.required) return;
  if ((await isEmailVerified(deps.db, user.id)) !== true) throw emailNotVerified();
}
