import type { Client } from "../client-info.js";
import type { TokenPair } from "../contracts/auth.js";
import { isStorableText } from "../contracts/fields.js";
import type { SessionInfo } from "../contracts/user.js";
import type { Executor } from "../db/connect.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import {
  findTokenState,
  insertLogin,
  insertRefreshToken,
  revokeTokensOfSession,
  revokeTokensOfUser,
  rotatable,
  rotate as rotateInOneStatement,
  type TokenState,
} from "../db/repositories/refresh-tokens.js";
import {
  endAllSessions,
  endSession as endSessionRow,
  findOwnSession,
  listLiveSessions,
  type RevokeReason,
} from "../db/repositories/sessions.js";
import { bumpTokenVersion, type User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, texts } from "../errors.js";
import { amrColumn, amrFromColumn, type SessionAuth } from "./amr.js";
import { adoptImportedToken, importedFamilyId } from "./imported-sessions.js";
import { invalidCredentials } from "./password-login.js";
import { newFamilyId, sessionOf, TokenError, type TokenType, userIdFromClaim, type VerifiedToken } from "./tokens.js";

// Sessions are refresh-token families (RFC 9700 §4.14): a login starts one,
// every rotation continues it, and presenting a token that was already rotated
// ends it, newest token included. A session also ends at its absolute lifetime.

type SessionDeps = Pick<Deps, "db" | "tokens" | "config">;

const notValid = (message: string = texts.tokenInvalidOrExpired) => new AppError("token_not_valid", message);

/**
 * A refresh token names its session in its jti, as access tokens do: a token
 * of ours can then never pass for a Django token to adopt.
 */
const signRefresh = (deps: SessionDeps, userId: number, sid: string) => deps.tokens.sign("refresh", userId, { sid });

export const signAccess = (
  deps: Pick<Deps, "tokens">,
  userId: number,
  sid: string,
  version: number,
  auth: SessionAuth,
) => deps.tokens.sign("access", userId, { sid, ver: version, auth });

/** A session's stored `amr` and `auth_time` as the claims its access tokens carry. */
const storedAuth = (row: { amr: string; authTime: number }): SessionAuth => ({
  amr: amrFromColumn(row.amr),
  authTime: row.authTime,
});

/**
 * A new session for a user who just proved who they are: `path` says how, for
 * the audit trail, and `amr` with which factors, for the tokens (amr.ts);
 * `last_login` is updated with it.
 */
export async function startSession(
  deps: SessionDeps,
  user: User,
  client: Client,
  path: string,
  amr: readonly string[],
): Promise<TokenPair> {
  const sid = newFamilyId();
  const now = Date.now();
  const end = new Date(now + deps.config.jwt.sessionMaxLifetime * 1000);
  const auth: SessionAuth = { amr, authTime: Math.floor(now / 1000) };
  const [refresh, access] = await Promise.all([
    signRefresh(deps, user.id, sid),
    signAccess(deps, user.id, sid, user.tokenVersion, auth),
  ]);
  const session = { id: sid, userId: user.id, expiresAt: end, ...client, amr: amrColumn(amr), authTime: auth.authTime };
  // The account was deleted during the login: as for an account that never was.
  if (!(await insertLogin(deps.db, session, refresh, { path, amr }))) throw invalidCredentials();
  return { refresh: refresh.token, access: access.token };
}

/** Verifies a token presented in a body; failures are simplejwt's 401 `token_not_valid`. */
export async function verifyBodyToken(deps: Pick<Deps, "tokens">, token: string, type?: TokenType) {
  try {
    return await deps.tokens.verify(token, type);
  } catch (error) {
    if (error instanceof TokenError) throw new AppError("token_not_valid", error.message);
    throw error;
  }
}

/**
 * Exchanges a refresh token. The common case is one statement; when it
 * refuses, the token's state says why, and what to do: a Django token to
 * adopt (then the statement once more), a repeat within the reuse interval
 * (the same successor again), a reuse (the session ends), or a refusal.
 */
export async function rotate(
  deps: SessionDeps,
  raw: string,
  client: Client,
): Promise<{ access: string; refresh?: string }> {
  const token = await verifyBodyToken(deps, raw, "refresh");
  const userId = userIdFromClaim(token.userId);
  if (userId === undefined) throw notValid(texts.tokenNoUser);
  if (userId === null) throw notValid();
  const { rotateRefreshTokens, blacklistAfterRotation } = deps.config.jwt;
  if (!rotateRefreshTokens || !blacklistAfterRotation) return exchangeWithoutConsuming(deps, token, userId, client);

  let state: TokenState | undefined;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const rotated = await rotateOnce(deps, token, userId, client);
    if (rotated) return rotated;
    state = await findTokenState(deps.db, token.jti);
    if (attempt > 0) break;
    // Once more when a Django token was just adopted, or when the state read now would
    // rotate (it changed between the statement and the read); otherwise the state says why.
    if (
      state
        ? !rotatable(state, userId)
        : !(await adoptImportedToken(deps.db, token, client, deps.config.jwt.sessionMaxLifetime))
    )
      break;
  }
  if (!state || state.userId !== userId) throw notValid();
  if (state.revokeReason === "rotated") {
    if (withinReuseInterval(deps, state) && state.successor) return repeatRotation(deps, state, state.successor);
    await reuseDetected(deps.db, state, client);
  }
  if (!state.userActive) throw new AppError("user_inactive", texts.userInactive);
  throw notValid(state.revokedAt ? texts.tokenBlacklisted : undefined);
}

async function rotateOnce(deps: SessionDeps, token: VerifiedToken, userId: number, client: Client) {
  const refresh = await signRefresh(deps, userId, sessionOf(token.jti) ?? importedFamilyId(token.jti));
  const rotated = await rotateInOneStatement(deps.db, token.jti, userId, refresh, client);
  if (!rotated) return undefined;
  const access = await signAccess(deps, userId, rotated.familyId, rotated.tokenVersion, storedAuth(rotated));
  return { refresh: refresh.token, access: access.token };
}

/**
 * The same token presented again soon after its rotation (React's StrictMode,
 * two tabs, a retried request) gets the successor the rotation issued, signed
 * again exactly, and a fresh access token: no second successor, no reuse.
 */
function withinReuseInterval(deps: SessionDeps, state: TokenState): boolean {
  const interval = deps.config.jwt.refreshReuseInterval;
  return (
    interval > 0 &&
    state.revokedSecondsAgo !== null &&
    state.revokedSecondsAgo <= interval &&
    state.sessionLive &&
    state.userActive
  );
}

async function repeatRotation(deps: SessionDeps, state: TokenState, successor: NonNullable<TokenState["successor"]>) {
  const [refresh, access] = await Promise.all([
    deps.tokens.sign("refresh", state.userId, { again: successor }),
    signAccess(deps, state.userId, state.familyId, state.tokenVersion, storedAuth(state)),
  ]);
  return { refresh: refresh.token, access: access.token };
}

/** A rotated token presented again: a stolen copy or a replay. Its whole session ends, newest token included. */
async function reuseDetected(db: Executor, state: TokenState, client: Client): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await endSessionWithTokens(trx, state.familyId, "reuse_detected");
    await recordEvent(trx, {
      event: "refresh_reuse_detected",
      userId: state.userId,
      ...client,
      detail: { family: state.familyId },
    });
  });
}

/** Tokens first, then the session: the order a rotation locks them in, so the two never wait on each other. */
async function endSessionWithTokens(db: Executor, sid: string, reason: RevokeReason): Promise<boolean> {
  await revokeTokensOfSession(db, sid, reason);
  return endSessionRow(db, sid, reason);
}

/** The stored state of a presented refresh token, adopting one the Django service issued unrecorded. */
async function stateOrAdopted(deps: SessionDeps, token: VerifiedToken, client: Client) {
  const state = await findTokenState(deps.db, token.jti);
  if (state || !(await adoptImportedToken(deps.db, token, client, deps.config.jwt.sessionMaxLifetime))) return state;
  return findTokenState(deps.db, token.jti);
}

/** ROTATE_REFRESH_TOKENS or BLACKLIST_AFTER_ROTATION off: the presented token stays good. */
async function exchangeWithoutConsuming(deps: SessionDeps, token: VerifiedToken, userId: number, client: Client) {
  const state = await stateOrAdopted(deps, token, client);
  if (!state || state.userId !== userId) throw notValid();
  if (state.revokedAt !== null) throw notValid(texts.tokenBlacklisted);
  if (!state.rowLive || !state.sessionLive) throw notValid();
  if (!state.userActive) throw new AppError("user_inactive", texts.userInactive);
  const access = await signAccess(deps, userId, state.familyId, state.tokenVersion, storedAuth(state));
  if (!deps.config.jwt.rotateRefreshTokens) return { access: access.token };
  const refresh = await signRefresh(deps, userId, state.familyId);
  const end = new Date(Date.now() + deps.config.jwt.sessionMaxLifetime * 1000);
  await insertRefreshToken(deps.db, { ...refresh, userId, familyId: state.familyId, sessionEnd: end });
  return { refresh: refresh.token, access: access.token };
}

/** Logout: the presented token's whole session ends. */
export async function endSession(deps: SessionDeps, raw: string, client: Client): Promise<Record<string, never>> {
  const token = await verifyBodyToken(deps, raw, "refresh");
  const state = await stateOrAdopted(deps, token, client);
  if (!state) throw notValid();
  if (state.revokedAt !== null) throw notValid(texts.tokenBlacklisted);
  await deps.db.transaction().execute(async (trx) => {
    await endSessionWithTokens(trx, state.familyId, "logout");
    await recordEvent(trx, { event: "logout", userId: state.userId, ...client });
  });
  return {};
}

export async function listSessions(
  deps: SessionDeps,
  user: User,
  currentSid: string | undefined,
): Promise<SessionInfo[]> {
  const rows = await listLiveSessions(deps.db, user.id);
  return rows.map((row) => ({
    id: row.id,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    user_agent: row.userAgent,
    ip: row.ip,
    current: row.id === currentSid,
  }));
}

/** Ends one of the user's sessions; its access tokens are refused from now on (authentication checks the session). */
export async function revokeSession(deps: SessionDeps, user: User, id: string, client: Client, by?: string) {
  // No session id holds a NUL or a lone surrogate, and PostgreSQL would refuse to compare one.
  if (!isStorableText(id)) throw new AppError("not_found", texts.notFound);
  const done = await deps.db.transaction().execute(async (trx) => {
    if (!(await findOwnSession(trx, user.id, id))) return false;
    if (!(await endSessionWithTokens(trx, id, "revoked"))) return false;
    await recordEvent(trx, { event: "session_revoked", userId: user.id, ...client, detail: { session: id, by } });
    return true;
  });
  if (!done) throw new AppError("not_found", texts.notFound);
  return {};
}

/**
 * Every session of the user ends and every access token issued so far is
 * refused (the token version moves on), in one transaction. Tokens are
 * revoked before sessions, the order a rotation locks them in.
 */
export async function endEverySession(db: Executor, userId: number, reason: RevokeReason): Promise<number> {
  await bumpTokenVersion(db, userId);
  await revokeTokensOfUser(db, userId, reason);
  return endAllSessions(db, userId, reason);
}

/** Log out everywhere (`by`: a staff member, when the admin console does it for the user). */
export async function revokeAllSessions(deps: SessionDeps, user: User, client: Client, by?: string) {
  const count = await deps.db.transaction().execute(async (trx) => {
    const ended = await endEverySession(trx, user.id, "logout_everywhere");
    await recordEvent(trx, { event: "logout_everywhere", userId: user.id, ...client, detail: { sessions: ended, by } });
    return ended;
  });
  return { revoked: count };
}
