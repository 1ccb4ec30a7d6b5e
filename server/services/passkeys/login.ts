import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Client } from "../../client-info.js";
import type { TokenPair } from "../../contracts/auth.js";
import type { PasskeyLoginInput } from "../../contracts/passkey.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import { findPasskeyByCredentialId, type Passkey, recordPasskeyUse } from "../../db/repositories/passkeys.js";
import { findUserById, type User } from "../../db/repositories/users.js";
import type { ChallengePurpose } from "../../db/repositories/webauthn-challenges.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { amrOf } from "../amr.js";
import { refuseUnverifiedEmail } from "../email/gate.js";
import { startSession } from "../sessions.js";
import { consumeQuota, ipBucket, type Limit } from "../throttle.js";
import { CHALLENGE_TTL_SECONDS, newChallenge, relyingParty, storeChallenge, useChallenge } from "./relying-party.js";
import { webauthn } from "./webauthn.js";

type LoginDeps = Pick<Deps, "db" | "secrets" | "config" | "tokens">;

/** Sign-in options write a row for anyone who asks: rationed per client IP. */
export const LOGIN_OPTIONS_IP: Limit = { limit: 60, windowSeconds: 60 };
const optionsKey = (ip: string) => `passkey-options:ip:${ipBucket(ip)}`;

/** One answer for every failure: which check failed is for the audit trail, not the caller. */
export const passkeyLoginFailed = () => new AppError("authentication_failed", "Passkey sign-in failed.");

/** Options for navigator.credentials.get() with no allowCredentials: the browser offers the discoverable ones. */
export async function loginOptions(deps: LoginDeps, client: Client) {
  const rp = relyingParty(deps);
  if (client.ip) await consumeQuota(deps.db, [[optionsKey(client.ip), LOGIN_OPTIONS_IP]]);
  const challenge = newChallenge();
  const { generateAuthenticationOptions } = await webauthn();
  const options = await generateAuthenticationOptions({
    rpID: rp.rpId,
    challenge,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    userVerification: "required",
  });
  await storeChallenge(deps, options.challenge, "login", null);
  return options;
}

/** Whose assertion is expected: anyone's for a sign-in, a known user's for a second step or step-up. */
export interface Expected {
  purpose: ChallengePurpose;
  userId: number | null;
}

/**
 * The assertion's passkey, once its challenge (of this purpose and user, used
 * once), owner, user handle, origin, RP ID, user verification, signature and
 * counter all check out; the new counter is stored in the same step.
 */
export async function verifyAssertion(
  deps: Pick<Deps, "db" | "secrets" | "config">,
  response: AuthenticationResponseJSON,
  expected: Expected = { purpose: "login", userId: null },
): Promise<{ passkey: Passkey } | { failure: string; passkey?: Passkey }> {
  const rp = relyingParty(deps);
  const passkey = await findPasskeyByCredentialId(deps.db, response.id);
  const used = await useChallenge(deps, deps.db, response.response.clientDataJSON, expected.purpose, expected.userId);
  if (!used) return { failure: "challenge unknown, used or expired", ...(passkey ? { passkey } : {}) };
  if (!passkey) return { failure: "unknown credential" };
  if (expected.userId !== null && passkey.userId !== expected.userId) return { failure: "another user's passkey" };
  const handle = response.response.userHandle;
  if (handle !== undefined && !deps.secrets.equal(Buffer.from(handle, "base64url"), passkey.userHandle)) {
    return { failure: "user handle does not match", passkey };
  }
  try {
    const { verifyAuthenticationResponse } = await webauthn();
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: used.challenge,
      expectedOrigin: [...rp.origins],
      expectedRPID: rp.rpId,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: passkey.counter,
        transports: passkey.transports,
      },
      requireUserVerification: true,
    });
    if (!verification.verified) return { failure: "signature", passkey };
    const { newCounter, credentialBackedUp } = verification.authenticationInfo;
    if (!(await recordPasskeyUse(deps.db, passkey.id, passkey.counter, newCounter, credentialBackedUp))) {
      return { failure: "counter raced", passkey };
    }
    return { passkey };
  } catch (error) {
    return { failure: error instanceof Error ? error.message : "malformed", passkey };
  }
}

/** A full login with a passkey (phishing-resistant and multi-factor): the usual token pair. */
export async function passkeyLogin(deps: LoginDeps, input: PasskeyLoginInput, client: Client): Promise<TokenPair> {
  relyingParty(deps);
  const outcome = await verifyAssertion(deps, input.credential as AuthenticationResponseJSON);
  const user: User | undefined = "failure" in outcome ? undefined : await findUserById(deps.db, outcome.passkey.userId);
  if ("failure" in outcome || !user?.isActive) {
    await recordEvent(deps.db, {
      event: "passkey_login_failed",
      userId: outcome.passkey?.userId,
      ...client,
      detail: { reason: "failure" in outcome ? outcome.failure : "inactive user", passkey: outcome.passkey?.id },
    });
    throw passkeyLoginFailed();
  }
  await refuseUnverifiedEmail(deps, user);
  const amr = amrOf([{ factor: "passkey", passkeyKind: outcome.passkey.deviceType }]);
  return startSession(deps, user, client, "passkey", amr);
}
