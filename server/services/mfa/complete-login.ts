import type { Client } from "../../client-info.js";
import type { TokenPair } from "../../contracts/auth.js";
import type { CompleteMfaInput } from "../../contracts/second-factor.js";
import { recordEvent } from "../../db/repositories/auth-events.js";
import { consumeMfaChallenge, type MfaTicket, takeMfaChallengeTry } from "../../db/repositories/mfa-challenges.js";
import { findUserById, type User } from "../../db/repositories/users.js";
import type { Deps } from "../../deps.js";
import { fieldError } from "../../errors.js";
import { amrOf, type Proof } from "../amr.js";
import { userAssertionOptions, verifyUserPasskey } from "../passkeys/user-assertion.js";
import { startSession } from "../sessions.js";
import { MFA_TOKEN_TRIES, mfaTokenInvalid } from "./login-challenge.js";
import { verifySecondFactor } from "./second-factor.js";

type CompleteDeps = Pick<Deps, "db" | "secrets" | "config" | "tokens">;

/** A ticket's live, active user, once a try is taken from it; `mfa_token_invalid` otherwise. */
async function ticketUser(deps: CompleteDeps, token: string): Promise<{ ticket: MfaTicket; user: User }> {
  const ticket = await takeMfaChallengeTry(deps.db, deps.secrets.tokenDigest(token), MFA_TOKEN_TRIES);
  const user = ticket && (await findUserById(deps.db, ticket.userId));
  if (!ticket || !user?.isActive) throw mfaTokenInvalid();
  return { ticket, user };
}

/** Passkey options for a login's second step; each takes a try from the ticket (they write a row). */
export async function mfaPasskeyOptions(deps: CompleteDeps, token: string) {
  const { ticket, user } = await ticketUser(deps, token);
  if (!ticket.methods.includes("passkey")) throw fieldError("mfa_token", "This account has no passkey.");
  return userAssertionOptions(deps, user, "mfa");
}

/**
 * The second step of a password login: a try is taken from the ticket, the
 * factor is checked (and used: a TOTP step, a recovery code, a passkey's
 * challenge), then the ticket is consumed, and only the request that consumed
 * it starts a session; of parallel completions exactly one gets tokens.
 */
export async function completeMfaLogin(
  deps: CompleteDeps,
  input: CompleteMfaInput,
  client: Client,
): Promise<TokenPair> {
  const { ticket, user } = await ticketUser(deps, input.mfa_token);
  if (!ticket.methods.includes(input.method)) throw fieldError("method", "Not available for this account.");
  let proof: Proof;
  try {
    proof =
      input.method === "passkey"
        ? await verifyUserPasskey(deps, user, input.credential, "mfa", client)
        : { factor: await verifySecondFactor(deps, user, input.code ?? "", client) };
  } catch (error) {
    await recordEvent(deps.db, { event: "mfa_failed", userId: user.id, ...client, detail: { method: input.method } });
    throw error;
  }
  if (!(await consumeMfaChallenge(deps.db, deps.secrets.tokenDigest(input.mfa_token)))) throw mfaTokenInvalid();
  return startSession(deps, user, client, "mfa", amrOf([{ factor: "password" }, proof]));
}
