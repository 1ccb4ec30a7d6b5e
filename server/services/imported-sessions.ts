import { createHash } from "node:crypto";
import type { Client } from "../client-info.js";
import type { Executor } from "../db/connect.js";
import { latestImportFinishedAt } from "../db/repositories/django-imports.js";
import { insertAdoptedSession } from "../db/repositories/refresh-tokens.js";
import { sessionOf, userIdFromClaim, type VerifiedToken } from "./tokens.js";

/**
 * Sessions that began on the Django service. Each imported refresh token is a
 * family of its own, with an id derived from its jti, so that a second import
 * finds the same family instead of making another.
 */
export const importedFamilyId = (jti: string) =>
  createHash("sha256").update(`django:${jti}`).digest("hex").slice(0, 24);

/** A session imported or adopted at `issuedAt` lasts as long as a login here would, or as its token, if longer. */
export const importedSessionEnd = (issuedAt: Date, expiresAt: Date, sessionMaxLifetime: number) =>
  new Date(Math.max(expiresAt.getTime(), issuedAt.getTime() + sessionMaxLifetime * 1000));

/**
 * simplejwt 5.2 keeps no row for the token a rotation returns, so the live end
 * of each Django rotation chain exists only as a signed token. One we hold no
 * row for, issued before the latest import finished, is recorded here as an
 * active token of a new session, after which the usual rules apply: it is
 * consumed once, and presenting it again is reuse. True when it was recorded.
 * A token that names one of our sessions is never adopted: its row is gone
 * only because it was pruned, and it must not come back.
 */
export async function adoptImportedToken(
  db: Executor,
  token: VerifiedToken,
  client: Client,
  sessionMaxLifetime: number,
): Promise<boolean> {
  const userId = userIdFromClaim(token.userId);
  if (!userId || sessionOf(token.jti) !== undefined) return false;
  const cutoff = await latestImportFinishedAt(db);
  if (!cutoff || token.iat * 1000 > cutoff.getTime()) return false;
  const issuedAt = new Date(token.iat * 1000);
  const expiresAt = new Date(token.exp * 1000);
  return insertAdoptedSession(
    db,
    {
      id: importedFamilyId(token.jti),
      userId,
      createdAt: issuedAt,
      expiresAt: importedSessionEnd(issuedAt, expiresAt, sessionMaxLifetime),
      userAgent: client.userAgent,
      ip: client.ip,
    },
    { jti: token.jti, iat: token.iat, exp: token.exp, expiresAt },
  );
}
