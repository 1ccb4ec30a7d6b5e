import type { TokenPair } from "../contracts/auth.js";
import { isStorableText } from "../contracts/fields.js";
import type { SessionInfo } from "../contracts/user.js";
import type { Executor } from "../db/connect.js";
import { recordEvent } from "../db/repositories/auth-events.js";
import {
  consumeForRotation,
  findRefreshToken,
  insertLoginSession,
  insertRefreshToken,
  listLiveFamilies,
  refreshTokenState,
  revokeAllFamilies,
  revokeFamily,
  revokeUserFamily,
  rotateInOneStatement,
  touchFamily,
} from "../db/repositories/refresh-tokens.js";
import { invalidateAccessTokens, type User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, texts } from "../errors.js";
import { adoptImportedToken } from "./imported-sessions.js";
import type { Client } from "./password-login.js";
import { newFamilyId, TokenError, type TokenType, userIdFromClaim, type VerifiedToken } from "./tokens.js";

/**
 * Sessions are refresh-token families (RFC 9700 §4.14): a login starts one,
 * every rotation continues it, and presenting a token that was already rotated
 * ends it, newest token included. A family also ends at its absolute lifetime.
 */
type SessionDeps = Pick<Deps, "db" | "tokens" | "config">;

async function issue(deps: SessionDeps, db: Executor, userId: number, familyId: string, familyEnd: Date) {
  const [refresh, access] = await Promise.all([
    deps.tokens.sign("refresh", userId),
    deps.tokens.sign("access", userId, familyId),
  ]);
  // A rotation never carries a session past its end.
  const expiresAt = new Date(Math.min(refresh.exp * 1000, familyEnd.getTime()));
  await insertRefreshToken(db, { jti: refresh.jti, userId, familyId, expiresAt });
  return { refresh: refresh.token, access: access.token };
}

/**
 * A new session for a user who just proved who they are (`path` says how, for
 * the audit trail); `last_login` is updated with it.
 */
export async function startSession(deps: SessionDeps, user: User, client: Client, path: string): Promise<TokenPair> {
  const familyId = newFamilyId();
  const end = new Date(Date.now() + deps.config.jwt.sessionMaxLifetime * 1000);
  const [refresh, access] = await Promise.all([
    deps.tokens.sign("refresh", user.id),
    deps.tokens.sign("access", user.id, familyId),
  ]);
  await insertLoginSession(
    deps.db,
    { id: familyId, userId: user.id, expiresAt: end, ...client },
    { jti: refresh.jti, expiresAt: new Date(Math.min(refresh.exp * 1000, end.getTime())) },
    { path },
  );
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

const notValid = (message: string = texts.tokenInvalidOrExpired) => new AppError("token_not_valid", message);

type Rotation = { pair: { access: string; refresh?: string } } | { error: AppError };

/**
 * Exchanges a refresh token: consumed atomically (of concurrent callers one
 * wins), replaced by a new one in the same family. A token already rotated is
 * a stolen copy or a replay: its whole family is revoked and the event recorded.
 */
export async function rotate(
  deps: SessionDeps,
  raw: string,
  client: Client,
): Promise<{ access: string; refresh?: string }> {
  const token = await verifyBodyToken(deps, raw, "refresh");
  const userId = userIdFromClaim(token.userId);
  if (userId === undefined) throw notValid(texts.tokenNoUser);
  const { rotateRefreshTokens, blacklistAfterRotation } = deps.config.jwt;
  if (rotateRefreshTokens && blacklistAfterRotation && userId !== null) {
    const fast = await rotateFast(deps, token.jti, userId, client);
    if (fast) return fast;
  }

  const outcome = await deps.db.transaction().execute(async (trx): Promise<Rotation> => {
    if (!rotateRefreshTokens || !blacklistAfterRotation)
      return { pair: await exchangeWithoutConsuming(deps, trx, token, client) };
    let consumed = await consumeForRotation(trx, token.jti);
    if (!consumed && (await adopt(deps, trx, token, client))) consumed = await consumeForRotation(trx, token.jti);
    // Returned, not thrown: a detected reuse must be committed.
    if (!consumed) return { error: await refusal(trx, token.jti, client) };
    // Thrown: the transaction rolls back and the token is not consumed.
    if (consumed.familyEnded) throw notValid();
    if (!consumed.userActive) throw new AppError("user_inactive", texts.userInactive);
    const pair = await issue(deps, trx, consumed.userId, consumed.familyId, consumed.familyExpiresAt);
    await touchFamily(trx, consumed.familyId, client);
    await recordEvent(trx, { event: "token_refreshed", userId: consumed.userId, ...client });
    return { pair };
  });
  if ("error" in outcome) throw outcome.error;
  return outcome.pair;
}

/**
 * Almost every refresh: a live token of a live session of an active user,
 * rotated in one round trip. Anything else (reuse, an ended session, an
 * inactive user, a token the Django service issued) takes the path below,
 * which finds out which and answers accordingly.
 */
async function rotateFast(deps: SessionDeps, jti: string, userId: number, client: Client) {
  const refresh = await deps.tokens.sign("refresh", userId);
  const rotated = await rotateInOneStatement(
    deps.db,
    jti,
    userId,
    { jti: refresh.jti, expiresAt: new Date(refresh.exp * 1000) },
    client,
  );
  if (!rotated) return undefined;
  const access = await deps.tokens.sign("access", userId, rotated.familyId);
  return { refresh: refresh.token, access: access.token };
}

/**
 * Why a token could not be consumed. A rotated token presented again revokes
 * its family; the revocation is committed even though the request fails.
 */
async function refusal(db: Executor, jti: string, client: Client): Promise<AppError> {
  const stored = await findRefreshToken(db, jti);
  if (!stored) return notValid();
  if (stored.revokeReason === "rotated") {
    await revokeFamily(db, stored.familyId, "reuse_detected");
    await recordEvent(db, {
      event: "refresh_reuse_detected",
      userId: stored.userId,
      ...client,
      detail: { family: stored.familyId },
    });
  }
  return notValid(texts.tokenBlacklisted);
}

const adopt = (deps: SessionDeps, db: Executor, token: VerifiedToken, client: Client) =>
  adoptImportedToken(db, token, client, deps.config.jwt.sessionMaxLifetime);

/** The stored state of a presented refresh token, adopting one the Django service issued unrecorded. */
async function storedOrAdopted(deps: SessionDeps, db: Executor, token: VerifiedToken, client: Client) {
  const stored = await findRefreshToken(db, token.jti);
  if (stored || !(await adopt(deps, db, token, client))) return stored;
  return findRefreshToken(db, token.jti);
}

/** ROTATE_REFRESH_TOKENS or BLACKLIST_AFTER_ROTATION off: the presented token stays good. */
async function exchangeWithoutConsuming(deps: SessionDeps, db: Executor, token: VerifiedToken, client: Client) {
  const stored = await storedOrAdopted(deps, db, token, client);
  if (!stored || stored.revokedAt !== null) throw notValid(stored ? texts.tokenBlacklisted : undefined);
  const userId = stored.userId;
  if (!deps.config.jwt.rotateRefreshTokens) {
    return { access: (await deps.tokens.sign("access", userId, stored.familyId)).token };
  }
  const end = new Date(Date.now() + deps.config.jwt.sessionMaxLifetime * 1000);
  return issue(deps, db, userId, stored.familyId, end);
}

/** Logout: the presented token's whole session ends. */
export async function endSession(deps: SessionDeps, raw: string, client: Client): Promise<Record<string, never>> {
  const token = await verifyBodyToken(deps, raw, "refresh");
  await deps.db.transaction().execute(async (trx) => {
    const stored = await storedOrAdopted(deps, trx, token, client);
    if (!stored) throw notValid();
    if (stored.revokedAt !== null) throw notValid(texts.tokenBlacklisted);
    await revokeFamily(trx, stored.familyId, "logout");
    await recordEvent(trx, { event: "logout", userId: stored.userId, ...client });
  });
  return {};
}

export { refreshTokenState };

export async function listSessions(
  deps: SessionDeps,
  user: User,
  currentSid: string | undefined,
): Promise<SessionInfo[]> {
  const rows = await listLiveFamilies(deps.db, user.id);
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

export async function revokeSession(deps: SessionDeps, user: User, id: string, client: Client) {
  // No session id holds a NUL or a lone surrogate, and PostgreSQL would refuse to compare one.
  if (!isStorableText(id)) throw new AppError("not_found", texts.notFound);
  const done = await deps.db.transaction().execute(async (trx) => {
    if (!(await revokeUserFamily(trx, user.id, id, "revoked"))) return false;
    await recordEvent(trx, { event: "session_revoked", userId: user.id, ...client, detail: { session: id } });
    return true;
  });
  if (!done) throw new AppError("not_found", texts.notFound);
  return {};
}

/** Log out everywhere: every session ends, and every access token issued so far is refused. */
export async function revokeAllSessions(deps: SessionDeps, user: User, client: Client) {
  const count = await deps.db.transaction().execute(async (trx) => {
    const ended = await revokeAllFamilies(trx, user.id, "logout_everywhere");
    await invalidateAccessTokens(trx, user.id);
    await recordEvent(trx, { event: "logout_everywhere", userId: user.id, ...client, detail: { sessions: ended } });
    return ended;
  });
  return { revoked: count };
}
