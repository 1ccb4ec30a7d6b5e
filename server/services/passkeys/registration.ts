import { randomBytes } from "node:crypto";
import type { RegistrationResponseJSON, VerifiedRegistrationResponse } from "@simplewebauthn/server";
import type { Client } from "../../client-info.js";
import type { RegisterPasskeyInput } from "../../contracts/passkey.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import { countPasskeys, findUserHandle, insertPasskey, listPasskeys } from "../../db/repositories/passkeys.js";
import type { User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { AppError, isUniqueViolation } from "../../errors.js";
import { toPasskeyInfo } from "./management.js";
import {
  ALGORITHMS,
  CHALLENGE_TTL_SECONDS,
  newChallenge,
  rationUserOptions,
  relyingParty,
  storeChallenge,
  useChallenge,
} from "./relying-party.js";
import { webauthn } from "./webauthn.js";

type PasskeyDeps = Pick<Deps, "db" | "secrets" | "config">;

export const MAX_PASSKEYS = 25;
const DEFAULT_NAME = "Passkey";

const invalid = (reason: string) => new AppError("passkey_invalid", `The passkey could not be registered: ${reason}`);

/**
 * Options for navigator.credentials.create(): a discoverable credential with
 * user verification, the user's other passkeys excluded. The challenge is kept
 * server-side, with the user handle it gives the authenticator.
 */
export async function registrationOptions(deps: PasskeyDeps, user: User) {
  const rp = relyingParty(deps);
  await rationUserOptions(deps, user.id);
  if ((await countPasskeys(deps.db, user.id)) >= MAX_PASSKEYS) {
    throw invalid(`an account keeps at most ${MAX_PASSKEYS} passkeys; remove one first.`);
  }
  // One handle per user, random: authenticators keep no personal data, and a second passkey on the same one replaces the first.
  const known = await findUserHandle(deps.db, user.id);
  const userHandle = known ? new Uint8Array(known) : new Uint8Array(randomBytes(32));
  const challenge = newChallenge();
  const { generateRegistrationOptions } = await webauthn();
  const options = await generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpId,
    userName: user.username,
    userID: userHandle,
    userDisplayName: `${user.firstName} ${user.lastName}`.trim() || user.username,
    challenge,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    attestationType: "none",
    excludeCredentials: (await listPasskeys(deps.db, user.id)).map((passkey) => ({
      id: passkey.credentialId,
      transports: passkey.transports,
    })),
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
    supportedAlgorithmIDs: ALGORITHMS,
  });
  await storeChallenge(deps, options.challenge, "register", user.id, userHandle);
  return options;
}

/** Verifies a registration against the caller's own unexpired challenge (used once) and stores the passkey. */
export async function registerPasskey(deps: PasskeyDeps, user: User, input: RegisterPasskeyInput, client: Client) {
  const rp = relyingParty(deps);
  const credential = input.credential as RegistrationResponseJSON;
  const used = await useChallenge(deps, deps.db, credential.response.clientDataJSON, "register", user.id);
  if (!used?.userHandle) throw invalid("the challenge is unknown, used or expired; ask for new options.");
  const { verifyRegistrationResponse } = await webauthn();
  let verification: VerifiedRegistrationResponse;
  try {
    verification = await verifyRegistrationResponse({
      response: credential,
      expectedChallenge: used.challenge,
      expectedOrigin: [...rp.origins],
      expectedRPID: rp.rpId,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : "the response is malformed.");
  }
  if (!verification.verified) throw invalid("the response did not verify.");
  const info = verification.registrationInfo;
  try {
    const passkey = await insertPasskey(deps.db, {
      userId: user.id,
      credentialId: info.credential.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: info.credential.transports ?? credential.response.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      userHandle: used.userHandle,
      name: input.name ?? DEFAULT_NAME,
    });
    await recordEvent(deps.db, {
      event: "passkey_registered",
      userId: user.id,
      ...client,
      detail: { passkey: passkey.id, aaguid: info.aaguid, device_type: info.credentialDeviceType },
    });
    return toPasskeyInfo(passkey);
  } catch (error) {
    if (isUniqueViolation(error, "passkeys_credential_id_key")) throw invalid("this passkey is registered already.");
    throw error;
  }
}
