import type { Client } from "../client-info.js";
import type { Executor } from "../db/connect.js";
import { findTokenUser, type TokenClaims, type User } from "../db/repositories/users.js";
import type { Deps } from "../deps.js";
import { AppError, texts } from "../errors.js";
import { amrOf } from "./amr.js";
import { refuseUnverifiedEmail } from "./email/gate.js";
import { requireSecondStep } from "./mfa/login-challenge.js";
import { type PasswordLogin, passwordLogin } from "./password-login.js";
import { startSession } from "./sessions.js";
import { TokenError, userIdFromClaim, type VerifiedToken } from "./tokens.js";

type AuthDeps = Pick<Deps, "db" | "tokens" | "hasher" | "secrets" | "config">;

/**
 * POST /api/token/: a new session for the right username and password, or,
 * for an account with a second factor, `mfa_required` and its ticket.
 */
export async function obtainTokenPair(deps: AuthDeps, client: Client, username: string, password: string) {
  const login: PasswordLogin = await passwordLogin(deps, client, username, password, "token");
  await refuseUnverifiedEmail(deps, login.user);
  await requireSecondStep(deps, login.user, client, "token", login.secondFactors);
  const pair = await startSession(deps, login.user, client, "token", amrOf([{ factor: "password" }]));
  return { pair, deviceToken: login.deviceToken };
}

/** The `Authorization` header as simplejwt reads it: undefined when no Bearer credentials were sent. */
export function bearerToken(header: string | undefined): string | undefined {
  const parts = header?.trim().split(/\s+/) ?? [];
  if (parts[0] !== "Bearer") return undefined;
  if (parts.length !== 2) throw new AppError("bad_authorization_header", texts.badAuthorizationHeader);
  return parts[1];
}

/** How and when the caller's session last authenticated, from the access token (absent in Django's). */
export interface TokenAuth {
  amr: string[] | undefined;
  authTime: number | undefined;
}

export interface Authenticated {
  user: User;
  /** The session the access token belongs to, when it is one of ours. */
  sid: string | undefined;
  auth: TokenAuth;
}

/**
 * A statement that checks the token itself (`ownerProcedure`) found no row
 * that accepts it; the procedure then reads why, as authentication would.
 */
export const ownerRefused = () => new AppError("token_not_valid", texts.tokenInvalidOrExpired);

export const accessRefused = (message: string) =>
  new AppError("token_not_valid", texts.tokenNotValidForAnyType, {
    tokenMessages: [{ token_class: "AccessToken", token_type: "access", message }],
  });

/**
 * An access token whose signature, expiry and claims are verified, but whose
 * user has not been read yet. `userId` is null when the claim is readable but
 * can name no row (simplejwt then answers "User not found").
 */
export type AccessClaims = Omit<TokenClaims, "userId"> & { userId: number | null; auth: TokenAuth };

export const claimsOf = (token: VerifiedToken): AccessClaims | undefined => {
  const userId = userIdFromClaim(token.userId);
  const auth = { amr: token.amr, authTime: token.authTime };
  return userId === undefined ? undefined : { userId, version: token.ver, sid: token.sid, auth };
};

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
  const claims = claimsOf(token);
  if (claims === undefined) throw new AppError("token_not_valid", texts.tokenNoUser);
  return claims;
}

/** The claims with a user id that can name a row; otherwise simplejwt's "User not found". */
export function withUserId(claims: AccessClaims): TokenClaims {
  if (claims.userId === null) throw new AppError("user_not_found", texts.userNotFound);
  return claims as TokenClaims;
}

/**
 * The second half: the user the claims name, if the rule (`acceptsToken`)
 * accepts the token, or simplejwt's error for why not. One indexed query.
 */
export async function loadTokenUser(db: Executor, claims: AccessClaims): Promise<Authenticated> {
  const found = await findTokenUser(db, withUserId(claims));
  if (!found) throw new AppError("user_not_found", texts.userNotFound);
  if (!found.accepted) {
    if (!found.user.isActive) throw new AppError("user_inactive", texts.userInactive);
    throw accessRefused(texts.tokenInvalidOrExpired);
  }
  return { user: found.user, sid: claims.sid, auth: claims.auth };
}

/** Both halves: the user behind an `Authorization` header. */
export async function authenticate(deps: Pick<Deps, "db" | "tokens">, header: string | undefined) {
  return loadTokenUser(deps.db, await verifyAccessToken(deps, header));
}
