import { findTokenState } from "../db/repositories/refresh-tokens.js";
import { isTokenAccepted } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, NON_FIELD_ERRORS, texts } from "../errors.js";
import { claimsOf } from "./auth.js";
import { verifyBodyToken } from "./sessions.js";

/**
 * POST /api/token/verify/: 200 only for a token that every other endpoint
 * would accept. A resource server asks this to check a token, so it must tell
 * the truth: an access token of a deleted or deactivated user, or one revoked
 * since, is refused like a bad signature, with simplejwt's 401
 * `token_not_valid`; a refresh token that was revoked keeps simplejwt's 400.
 */
export async function verifyToken(deps: Pick<Deps, "db" | "tokens">, raw: string): Promise<Record<string, never>> {
  const token = await verifyBodyToken(deps, raw);
  if (token.tokenType === "refresh") {
    const state = await findTokenState(deps.db, token.jti);
    if (!state) throw refused();
    if (state.revokedAt !== null) {
      throw new AppError("validation_failed", texts.tokenBlacklisted, {
        fields: { [NON_FIELD_ERRORS]: [texts.tokenBlacklisted] },
      });
    }
    if (!state.rowLive || !state.sessionLive || !state.userActive) throw refused();
  } else if (token.tokenType === "access") {
    const claims = claimsOf(token);
    if (!claims || claims.userId === null) throw refused();
    if (!(await isTokenAccepted(deps.db, { ...claims, userId: claims.userId }))) throw refused();
  }
  return {};
}

const refused = () => new AppError("token_not_valid", texts.tokenInvalidOrExpired);
