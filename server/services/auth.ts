import type { TokenPair } from "../contracts/auth.js";
import type { Executor } from "../db/connect.js";
import { findUserById, type User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, NON_FIELD_ERRORS, texts } from "../errors.js";
import { refuseUnverifiedEmail } from "./email/gate.js";
import { type Client, passwordLogin } from "./password-login.js";
import { refreshTokenState, startSession, verifyBodyToken } from "./sessions.js";
import { TokenError, userIdFromClaim, type VerifiedToken } from "./tokens.js";

type AuthDeps = Pick<Deps, "db" | "tokens" | "hasher" | "config">;

/** POST /api/token/: a new session for the right username and password. */
export async function obtainTokenPair(
  deps: AuthDeps,
  client: Client,
  username: string,
  password: string,
): Promise<TokenPair> {
  const user = await passwordLogin(deps, client, username, password, "token");
  await refuseUnverifiedEmail(deps, user);
  return startSession(deps, user, client, "token");
}

export async function verifyToken(deps: AuthDeps, raw: string): Promise<Record<string, never>> {
  const token = await verifyBodyToken(deps, raw);
  if (token.tokenType === "refresh") {
    const state = await refreshTokenState(deps.db, token.jti);
    if (state === "revoked") {
      throw new AppError("validation_failed", texts.tokenBlacklisted, {
        fields: { [NON_FIELD_ERRORS]: [texts.tokenBlacklisted] },
      });
    }
    if (state === "unknown") throw new AppError("token_not_valid", texts.tokenInvalidOrExpired);
  }
  return {};
}

/** The `Authorization` header as simplejwt reads it: undefined when no Bearer credentials were sent. */
export function bearerToken(header: string | undefined): string | undefined {
  const parts = header?.trim().split(/\s+/) ?? [];
  if (parts[0] !== "Bearer") return undefined;
  if (parts.length !== 2) throw new AppError("bad_authorization_header", texts.badAuthorizationHeader);
  return parts[1];
}

export interface Authenticated {
  user: User;
  /** The session the access token belongs to, when it is one of ours. */
  sid: string | undefined;
}

const accessRefused = (message: string) =>
  new AppError("token_not_valid", texts.tokenNotValidForAnyType, {
    tokenMessages: [{ token_class: "AccessToken", token_type: "access", message }],
  });

/**
 * The user behind an access token, with simplejwt's error for each way it can
 * fail. One query: the user row, which also says whether tokens issued before
 * a password change, a deactivation or "log out everywhere" still count.
 */
export async function authenticateAccessToken(
  deps: Pick<Deps, "db" | "tokens">,
  header: string | undefined,
): Promise<Authenticated> {
  return loadTokenUser(deps.db, await verifyAccessToken(deps, header));
}

/**
 * An access token whose signature, expiry and claims are verified, but whose
 * user row has not been read yet: the first half of authenticateAccessToken.
 */
export interface AccessClaims {
  /** null: readable, but can name no row (simplejwt then answers "User not found"). */
  userId: number | null;
  /** `iat`, in seconds. */
  issuedAt: number;
  sid: string | undefined;
}

/** The checks that need no database, with simplejwt's errors. */
export async function verifyAccessToken(deps: Pick<Deps, "tokens">, header: string | undefined): Promise<AccessClaims> {
  const raw = bearerToken(header);
  if (raw === undefined) throw new AppError("not_authenticated", texts.notAuthenticated);
  let token: VerifiedToken;
  try {
    token = await deps.tokens.verify(raw, "access");
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    throw accessRefused(error.message);
  }
  const userId = userIdFromClaim(token.userId);
  if (userId === undefined) throw new AppError("token_not_valid", texts.tokenNoUser);
  return { userId, issuedAt: token.iat, sid: token.sid };
}

/** The user id the claims name; a claim that can name no row is simplejwt's "User not found". */
export function claimedUserId(claims: AccessClaims): number {
  if (claims.userId === null) throw new AppError("user_not_found", texts.userNotFound);
  return claims.userId;
}

/**
 * The second half: the active user the claims name, who has not revoked
 * tokens of that age, or simplejwt's error for why not. The same rule, as
 * SQL, is `acceptsTokenOf` for statements that check it themselves.
 */
export async function loadTokenUser(db: Executor, claims: AccessClaims): Promise<Authenticated> {
  const user = await findUserById(db, claimedUserId(claims));
  if (!user) throw new AppError("user_not_found", texts.userNotFound);
  if (!user.isActive) throw new AppError("user_inactive", texts.userInactive);
  if (user.tokensValidAfter && claims.issuedAt < Math.floor(user.tokensValidAfter.getTime() / 1000)) {
    throw accessRefused(texts.tokenInvalidOrExpired);
  }
  return { user, sid: claims.sid };
}
