import type { Executor } from "../db/connect.js";
import { deleteExpiredEmailTokens } from "../db/repositories/email-tokens.js";
import { deleteExpiredMfaChallenges } from "../db/repositories/mfa-challenges.js";
import { deleteStalePendingTotp } from "../db/repositories/totp.js";
import { deleteExpiredChallenges } from "../db/repositories/webauthn-challenges.js";
import { TOTP_ENROLMENT_SECONDS } from "./mfa/second-factor.js";

/** Strong authentication's dead rows: expired WebAuthn and login challenges and email links, unconfirmed TOTP enrolments. */
export async function pruneStrongAuth(db: Executor, limit: number): Promise<number> {
  return (
    (await deleteExpiredChallenges(db, limit)) +
    (await deleteExpiredMfaChallenges(db, limit)) +
    (await deleteExpiredEmailTokens(db, limit)) +
    (await deleteStalePendingTotp(db, TOTP_ENROLMENT_SECONDS, limit))
  );
}
