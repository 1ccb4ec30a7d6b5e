import { randomBytes } from "node:crypto";
import type { WebAuthnConfig } from "../../config/strong-auth.js";
import type { Executor } from "../../db/connect.js";
import { type ChallengePurpose, consumeChallenge, insertChallenge } from "../../db/repositories/webauthn-challenges.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../errors.js";
import { consumeQuota, type Limit } from "../throttle.js";

/** A ceremony must finish within this (the options' timeout too). */
export const CHALLENGE_TTL_SECONDS = 300;
/** EdDSA, ES256, RS256: what platform and roaming authenticators offer. */
export const ALGORITHMS = [-8, -7, -257];

export function relyingParty(deps: Pick<Deps, "config">): WebAuthnConfig {
  const rp = deps.config.webauthn;
  if (!rp) throw new AppError("passkeys_disabled", "Passkeys are not enabled on this server.");
  return rp;
}

/** Options write a challenge row each: rationed per signed-in user, whoever asks for them. */
export const OPTIONS_PER_USER: Limit = { limit: 30, windowSeconds: 60 };
export const rationUserOptions = (deps: Pick<Deps, "db">, userId: number) =>
  consumeQuota(deps.db, [[`passkey-options:user:${userId}`, OPTIONS_PER_USER]]);

/** 32 random bytes; the options carry them as base64url, which is what is stored (hashed). */
export const newChallenge = () => new Uint8Array(randomBytes(32));

export async function storeChallenge(
  deps: Pick<Deps, "db" | "secrets">,
  challenge: string,
  purpose: ChallengePurpose,
  userId: number | null,
  userHandle: Uint8Array | null = null,
): Promise<void> {
  await insertChallenge(
    deps.db,
    deps.secrets.tokenDigest(challenge),
    purpose,
    userId,
    userHandle,
    CHALLENGE_TTL_SECONDS,
  );
}

/** The challenge a browser signed, read from its clientDataJSON; undefined when there is none to read. */
export function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8"));
    const challenge = (data as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === "string" && /^[A-Za-z0-9_-]{16,128}$/.test(challenge) ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Uses the challenge the response answers, before anything else is checked,
 * so that a response is accepted at most once whatever happens next.
 */
export async function useChallenge(
  deps: Pick<Deps, "secrets">,
  db: Executor,
  clientDataJSON: string,
  purpose: ChallengePurpose,
  userId: number | null,
) {
  const challenge = challengeOf(clientDataJSON);
  if (challenge === undefined) return undefined;
  const stored = await consumeChallenge(db, deps.secrets.tokenDigest(challenge), purpose, userId);
  return stored && { challenge, userHandle: stored.userHandle };
}
