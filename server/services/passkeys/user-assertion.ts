import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Client } from "../../client-info.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import { listPasskeys } from "../../db/repositories/passkeys.js";
import type { User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import type { Proof } from "../amr.js";
import { verifyAssertion } from "./login.js";
import { CHALLENGE_TTL_SECONDS, newChallenge, relyingParty, storeChallenge } from "./relying-party.js";
import { webauthn } from "./webauthn.js";

// A passkey of a known user: the second step of a password login (`mfa`), of
// the admin console's sign-in (`admin`), or a reauthentication (`step_up`).
// The challenge is bound to the user and the purpose, and only that user's
// passkeys are offered and accepted.

type AssertionDeps = Pick<Deps, "db" | "secrets" | "config">;
type Purpose = "mfa" | "admin" | "step_up";

export const passkeyNotVerified = () => new AppError("passkey_invalid", "The passkey could not be verified.");

/** Options for navigator.credentials.get() listing the user's passkeys. */
export async function userAssertionOptions(deps: AssertionDeps, user: User, purpose: Purpose) {
  const rp = relyingParty(deps);
  const { generateAuthenticationOptions } = await webauthn();
  const options = await generateAuthenticationOptions({
    rpID: rp.rpId,
    challenge: newChallenge(),
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    userVerification: "required",
    allowCredentials: (await listPasskeys(deps.db, user.id)).map((passkey) => ({
      id: passkey.credentialId,
      transports: passkey.transports,
    })),
  });
  await storeChallenge(deps, options.challenge, purpose, user.id);
  return options;
}

/** The user's passkey assertion as a proof, or `passkey_invalid` (the reason goes to the audit trail). */
export async function verifyUserPasskey(
  deps: AssertionDeps,
  user: User,
  credential: unknown,
  purpose: Purpose,
  client: Client,
): Promise<Proof> {
  relyingParty(deps);
  const outcome = await verifyAssertion(deps, credential as AuthenticationResponseJSON, { purpose, userId: user.id });
  if ("failure" in outcome) {
    await recordEvent(deps.db, {
      event: "passkey_login_failed",
      userId: user.id,
      ...client,
      detail: { reason: outcome.failure, during: purpose, passkey: outcome.passkey?.id },
    });
    throw passkeyNotVerified();
  }
  return { factor: "passkey", passkeyKind: outcome.passkey.deviceType };
}
