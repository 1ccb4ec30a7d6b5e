import type { TokenPair } from "../contracts/auth.js";
import type { Executor } from "../db/connect.js";
import { findUserById, type User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, NON_FIELD_ERRORS, texts } from "../errors.js";
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
  const raw = bearerToken(header);
  if (raw === undefined) throw new AppError("not_authenticated", texts.notAuthenticated);
  let token: VerifiedToken;
  try {
    token = await deps.tokens.verify(raw, "access");
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    throw accessRefused(error.message);
  }
  const user = await tokenUser(deps.db, token);
  if (user.tokensValidAfter && token.iat < Math.floor(user.tokensValidAfter.getTime() / 1000)) {
    throw accessRefused(texts.tokenInvalidOrExpired);
  }
  return { user, sid: token.sid };
}

/** The active user a verified token names, or simplejwt's error for why there is none. */
async function tokenUser(db: Executor, token: VerifiedToken): Promise<User> {
  const userId = userIdFromClaim(token.userId);
  if (userId === undefined) throw new AppError("token_not_valid", texts.tokenNoUser);
  const user = userId === null ? undefined : await findUserById(db, userId);
  if (!user) throw new AppError("user_not_found", texts.userNotFound);
  if (!user.isActive) throw new AppError("user_inactive", texts.userInactive);
  return user;
}
