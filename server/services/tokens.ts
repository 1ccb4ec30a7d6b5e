import { webcrypto } from "node:crypto";
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { JSONWebKeySet } from "jose";
import type { Config } from "../config/config.js";
import { jwtSigner, rememberingJwtVerifier } from "../crypto/jwt.js";
import { texts } from "../errors.js";
import { loadKeyring } from "./keyring.js";

/**
 * simplejwt-compatible tokens: claims `token_type`, `exp`, `iat`, `jti`,
 * `user_id`, signed with HS256 (simplejwt's default) or, when configured, RS256
 * or EdDSA with a `kid`. Pure crypto, no database; keys are imported once.
 */
export type TokenType = "access" | "refresh";

export interface VerifiedToken {
  /** Checked only when a type was expected; simplejwt's verify endpoint accepts any. */
  tokenType: unknown;
  jti: string;
  iat: number;
  exp: number;
  /** The raw `user_id` claim: validated by the caller, whose error differs. */
  userId: unknown;
  /** The session (refresh-token family) an access token of ours belongs to; absent in others'. */
  sid: string | undefined;
  /** The user's token version when it was issued (`ver`); 0 for tokens that carry none (Django's, older ones). */
  ver: number;
  /** RFC 8176 `amr`; absent in tokens from before it was kept (Django's, older ones). */
  amr: string[] | undefined;
  /** `auth_time`: when the session last authenticated (seconds); absent as `amr` is. */
  authTime: number | undefined;
}

/**
 * Access tokens name their session inside the jti (the family id, then random
 * hex), so that the claim set stays exactly simplejwt's: 40 hex digits, of
 * which the first 24 are the session. Other jtis name no session.
 */
const SESSION_JTI = /^([0-9a-f]{24})[0-9a-f]{16}$/;
/** The session a jti names (ours name one; Django's, 32 hex digits, do not). */
export const sessionOf = (jti: string) => SESSION_JTI.exec(jti)?.[1];
export const newFamilyId = () => encodeHexLowerCase(webcrypto.getRandomValues(new Uint8Array(12)));
const sessionJti = (familyId: string) =>
  `${familyId}${encodeHexLowerCase(webcrypto.getRandomValues(new Uint8Array(8)))}`;

export interface SignedToken {
  token: string;
  jti: string;
  iat: number;
  exp: number;
}

/** A token that does not verify; `message` is simplejwt's wording. */
export class TokenError extends Error {
  override name = "TokenError";
}

export interface SignOptions {
  /** The session an access token belongs to (kept in its jti). */
  sid?: string | undefined;
  /** The user's token version (access tokens): revoking them all bumps it. */
  ver?: number | undefined;
  /** To sign a token again exactly as before (the refresh reuse interval): its own claims. */
  again?: { jti: string; iat: number; exp: number } | undefined;
  /** How and when the session authenticated (access tokens): `amr` and `auth_time`. */
  auth?: { amr: readonly string[]; authTime: number } | undefined;
}

export interface TokenService {
  sign(type: TokenType, userId: number, options?: SignOptions): Promise<SignedToken>;
  /**
   * Verifies signature, algorithm, `exp`, `jti` and, when a type is expected,
   * `token_type` and `iat` too; failures are TokenErrors with simplejwt's wording.
   */
  verify(token: string, expected?: TokenType): Promise<VerifiedToken>;
  lifetime(type: TokenType): number;
  /** The public keys that verify our tokens (empty under HS256), for /.well-known/jwks.json. */
  readonly jwks: JSONWebKeySet;
}

const MAX_JTI_LENGTH = 64;
/** Tokens a process remembers as verified (about a kilobyte each). */
const REMEMBERED_TOKENS = 512;

/** The registered time claims as `verifyJwt` leaves them: absent, or numbers. */
type JwtClaims = Record<string, unknown> & { exp?: number; iat?: number; ver?: unknown; user_id?: unknown };

export const newJti = () => encodeHexLowerCase(webcrypto.getRandomValues(new Uint8Array(16)));

export async function createTokenService(jwt: Config["jwt"], now: () => number = Date.now): Promise<TokenService> {
  const keyring = await loadKeyring(jwt);
  const { keyFor, algorithms } = keyring;
  const signed = jwtSigner(keyring.signer.header, keyring.signer.key);
  const verified = rememberingJwtVerifier(keyFor, algorithms, REMEMBERED_TOKENS);
  const lifetimes: Record<TokenType, number> = {
    access: jwt.accessTokenLifetime,
    refresh: jwt.refreshTokenLifetime,
  };

  return {
    lifetime: (type) => lifetimes[type],
    jwks: keyring.jwks,

    async sign(type, userId, { sid, ver, again, auth } = {}) {
      const iat = again?.iat ?? Math.floor(now() / 1000);
      const exp = again?.exp ?? iat + lifetimes[type];
      const jti = again?.jti ?? (sid ? sessionJti(sid) : newJti());
      // simplejwt's claims, in its order; `ver` only where revocation needs it (and not 0, Django's default).
      const claims = {
        token_type: type,
        exp,
        iat,
        jti,
        user_id: userId,
        ...(ver ? { ver } : {}),
        ...(auth ? { amr: [...auth.amr], auth_time: auth.authTime } : {}),
      };
      const token = await signed(claims);
      return { token, jti, iat, exp };
    },

    async verify(token, expected) {
      const current = now();
      let payload: JwtClaims;
      try {
        payload = (await verified(token, current)) as JwtClaims;
      } catch {
        throw new TokenError(texts.tokenInvalidOrExpired);
      }
      // PyJWT refuses tokens issued in the future; jose does not by default.
      if (payload.iat !== undefined && payload.iat > current / 1000) throw new TokenError(texts.tokenInvalidOrExpired);
      if (payload.exp === undefined) throw new TokenError(texts.tokenNoClaim("exp"));
      const { jti: claim, token_type: tokenType } = payload as { jti?: unknown; token_type?: unknown };
      if (claim === undefined) throw new TokenError(texts.tokenNoId);
      // simplejwt takes any JSON value; refresh bookkeeping keys on its text.
      const jti = typeof claim === "number" && Number.isFinite(claim) ? String(claim) : claim;
      if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
        throw new TokenError(texts.tokenInvalidOrExpired);
      }
      if (expected !== undefined) {
        if (tokenType === undefined) throw new TokenError(texts.tokenNoType);
        if (tokenType !== expected) throw new TokenError(texts.tokenWrongType);
        if (payload.iat === undefined) throw new TokenError(texts.tokenNoClaim("iat"));
      }
      const ver = payload.ver ?? 0;
      if (!Number.isSafeInteger(ver) || (ver as number) < 0) throw new TokenError(texts.tokenInvalidOrExpired);
      const sid = tokenType === "access" ? sessionOf(jti) : undefined;
      const { amr, auth_time: authTime } = payload as { amr?: unknown; auth_time?: unknown };
      return {
        tokenType,
        jti,
        iat: payload.iat ?? 0,
        exp: payload.exp,
        userId: payload.user_id,
        sid,
        ver: ver as number,
        amr: Array.isArray(amr) && amr.every((value) => typeof value === "string") ? amr : undefined,
        authTime: typeof authTime === "number" && Number.isFinite(authTime) ? authTime : undefined,
      };
    },
  };
}

const MAX_USER_ID = 2_147_483_647;

/**
 * The `user_id` claim as simplejwt and Django's ORM read it (`int(value)`):
 * numbers (truncated), booleans (0 or 1) and numeric strings. `undefined` when
 * the claim identifies no one at all (absent or unreadable), `null` when it is
 * readable but can match no row (null, zero, negative, out of range).
 */
export function userIdFromClaim(claim: unknown): number | null | undefined {
  if (claim === null) return null;
  let id: number;
  if (typeof claim === "boolean") id = claim ? 1 : 0;
  else if (typeof claim === "number" && Number.isFinite(claim)) id = Math.trunc(claim);
  else if (typeof claim === "string" && /^\s*[+-]?\d{1,15}\s*$/.test(claim)) id = Number(claim);
  else return undefined;
  return id >= 1 && id <= MAX_USER_ID ? id : null;
}
