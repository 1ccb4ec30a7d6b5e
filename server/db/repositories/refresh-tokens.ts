import { type RawBuilder, sql } from "kysely";
import { isForeignKeyViolation } from "../../errors.js";
import { compiledStatement } from "../compiled.js";
import type { Executor } from "../connect.js";
import { auditRow } from "./auth-events.js";
import { clientColumns } from "./client-columns.js";
import type { NewSession, RevokeReason } from "./sessions.js";
import { lastLoginUpdate } from "./users.js";

// Refresh tokens, kept by jti (never the token), each in a session. A row also
// keeps the token's own `iat` and `exp`, so that the token can be signed again
// exactly (the reuse interval) and so that no row is pruned while its token
// still verifies.

export interface NewRefreshToken {
  jti: string;
  iat: number;
  exp: number;
}

/** A row never outlives its session, though the signed token may. */
const rowExpiry = (token: NewRefreshToken, sessionEnd: Date) =>
  new Date(Math.min(token.exp * 1000, sessionEnd.getTime()));

/** A new session's user was deleted while it was being made (an insert of a session then writes nothing). */
const userGone = (error: unknown) => isForeignKeyViolation(error, "refresh_families_user_id_fkey");

/**
 * An adopted token's session and its row, in one statement: apart, the pruner
 * (which deletes sessions with no token) could take the session between the
 * two, and no key would refuse the token's row after it. False when the session
 * is there already (a second adoption of the same token), when the token has a
 * row already (one left without its session must not bring it back, with the
 * tokens rotated from it), or when its user is not there.
 */
export async function insertAdoptedSession(
  db: Executor,
  session: NewSession & { createdAt: Date },
  token: NewRefreshToken & { expiresAt: Date },
): Promise<boolean> {
  const { ip, user_agent: userAgent } = clientColumns(session);
  const { rows } = await sql<{ jti: string }>`
    with family as (
      insert into refresh_families (id, user_id, created_at, last_used_at, auth_time, expires_at, user_agent, ip)
      select ${session.id}, id, ${session.createdAt}::timestamptz, ${session.createdAt}::timestamptz,
             ${session.createdAt}::timestamptz, ${session.expiresAt}::timestamptz, ${userAgent}, ${ip}
        from users where id = ${session.userId}
         and not exists (select from refresh_tokens where jti = ${token.jti})
      on conflict (id) do nothing
      returning id, user_id
    )
    insert into refresh_tokens (jti, user_id, family_id, created_at, expires_at, iat, exp)
    select ${token.jti}, user_id, id, ${session.createdAt}::timestamptz, ${token.expiresAt}::timestamptz,
           ${token.iat}, ${token.exp}
      from family
    on conflict (jti) do nothing
    returning jti`
    .execute(db)
    .catch((error: unknown) => {
      if (userGone(error)) return { rows: [] };
      throw error;
    });
  return rows.length > 0;
}

/** Every state a presented refresh token can be in, read in one query; the rotation statement's conditions, spelled out. */
export interface TokenState {
  userId: number;
  familyId: string;
  revokedAt: Date | null;
  revokeReason: string | null;
  /** Seconds since it was revoked (rotated); null while it is not. */
  revokedSecondsAgo: number | null;
  /** The row is within its own lifetime (which ends with its session's). */
  rowLive: boolean;
  sessionLive: boolean;
  userActive: boolean;
  tokenVersion: number;
  /** The session's `amr` (space-separated) and `auth_time` (seconds). */
  amr: string;
  authTime: number;
  /** The token a rotation issued in its place, with the claims to sign it again. */
  successor: { jti: string; iat: number; exp: number } | undefined;
}

/**
 * The rotation statement's conditions over a token's state, in TypeScript: the
 * statement is the rule, this is its twin for the slow path's diagnosis, held to
 * it by tests/db/rotation-twins.test.ts.
 */
export const rotatable = (state: TokenState, userId: number) =>
  state.userId === userId && state.revokedAt === null && state.rowLive && state.sessionLive && state.userActive;

export async function findTokenState(db: Executor, jti: string): Promise<TokenState | undefined> {
  const row = await db
    .selectFrom("refresh_tokens as t")
    .innerJoin("refresh_families as f", "f.id", "t.family_id")
    .innerJoin("users as u", "u.id", "f.user_id")
    .leftJoin("refresh_tokens as s", "s.jti", "t.successor_jti")
    .select([
      "t.user_id",
      "t.family_id",
      "t.revoked_at",
      "t.revoke_reason",
      sql<number | null>`extract(epoch from now() - t.revoked_at)::float8`.as("revoked_seconds_ago"),
      sql<boolean>`t.expires_at > now()`.as("row_live"),
      sql<boolean>`f.revoked_at is null and f.expires_at > now()`.as("session_live"),
      "u.is_active",
      "u.token_version",
      "f.amr",
      sql<number>`floor(extract(epoch from f.auth_time))::int8`.as("auth_time"),
      "s.jti as successor_jti",
      "s.iat as successor_iat",
      "s.exp as successor_exp",
    ])
    .where("t.jti", "=", jti)
    .executeTakeFirst();
  if (!row) return undefined;
  const successor =
    row.successor_jti !== null && row.successor_iat !== null && row.successor_exp !== null
      ? { jti: row.successor_jti, iat: row.successor_iat, exp: row.successor_exp }
      : undefined;
  return {
    userId: row.user_id,
    familyId: row.family_id,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
    revokedSecondsAgo: row.revoked_seconds_ago,
    rowLive: row.row_live,
    sessionLive: row.session_live,
    userActive: row.is_active,
    tokenVersion: row.token_version,
    amr: row.amr,
    authTime: Number(row.auth_time),
    successor,
  };
}

export interface Rotated {
  familyId: string;
  /** The user's token version, for the access token issued with the new refresh token. */
  tokenVersion: number;
  /** How and when the session authenticated, for that access token's `amr` and `auth_time`. */
  amr: string;
  authTime: number;
}

/**
 * The rotation, as one statement (one round trip, atomic on its own): consumes
 * `oldJti` if it and its row are live, its session live and its user active,
 * stores `next` as its successor in the same session (never past the
 * session's end), notes the session's use and records the event. Undefined when
 * any condition fails: findTokenState then says which.
 *
 * Every row is reached by its primary key, each through an equality with a
 * single value: written as one join, the plan depended on statistics, and on
 * tables analyzed while nearly empty PostgreSQL scanned every live session on
 * each refresh. The token and the session are read by their keys alone, each
 * in a CTE of its own, and the user compared after: with the user's id in the
 * same scan, a plan made while the tables were small (and kept by the prepared
 * statement) went through `user_id` and read the user's whole history on every
 * refresh (tests/db/rotation-plan.test.ts). `t.revoked_at is null` stays
 * on the updated row itself, so that of concurrent rotations exactly one matches.
 */
export function rotationStatement(
  oldJti: string,
  userId: number,
  next: NewRefreshToken,
  client: { ip?: string | undefined; userAgent?: string | undefined },
) {
  return rotationSql(rotationValues(oldJti, userId, next, client));
}

interface RotationValues {
  oldJti: string;
  userId: number;
  nextJti: string;
  iat: number;
  exp: number;
  ip: string | null;
  userAgent: string | null;
}

function rotationValues(
  oldJti: string,
  userId: number,
  next: NewRefreshToken,
  client: { ip?: string | undefined; userAgent?: string | undefined },
): RotationValues {
  const { ip, user_agent: userAgent } = clientColumns(client);
  return { oldJti, userId, nextJti: next.jti, iat: next.iat, exp: next.exp, ip, userAgent };
}

function rotationSql({ oldJti, userId, nextJti, iat, exp, ip, userAgent }: RotationValues) {
  return sql<{ family_id: string; token_version: number; amr: string; auth_time: number }>`
    with token as materialized (
      select family_id, user_id from refresh_tokens where jti = ${oldJti}
    ), session as materialized (
      select f.id, f.user_id, f.expires_at, f.amr, f.auth_time from refresh_families f
       where f.id = (select family_id from token where user_id = ${userId})
         and f.revoked_at is null and f.expires_at > now()
    ), family as materialized (
      select s.id, s.expires_at, s.amr, s.auth_time, u.token_version from session s, users u
       where u.id = ${userId} and u.id = s.user_id and u.is_active
    ), consumed as (
      update refresh_tokens t
         set revoked_at = now(), revoke_reason = 'rotated', successor_jti = ${nextJti}
        from family f
       where t.jti = ${oldJti} and t.revoked_at is null and t.expires_at > now() and t.family_id = f.id
      returning t.family_id, f.token_version, f.amr, floor(extract(epoch from f.auth_time))::int8 as auth_time,
                least(to_timestamp(${exp}), f.expires_at) as expires_at
    ), issued as (
      insert into refresh_tokens (jti, user_id, family_id, expires_at, iat, exp)
      select ${nextJti}, ${userId}, family_id, expires_at, ${iat}, ${exp} from consumed
    ), touched as (
      ${touchSession(sql`(select family_id from consumed)`, ip, userAgent)}
    ), audited as (
      ${auditRow("token_refreshed", sql`${userId}::int`, ip, userAgent, { from: sql`consumed` })}
    )
    select family_id, token_version, amr, auth_time from consumed`;
}

// Every refresh runs it: compiled once (compiled.ts). A statement compiled
// anew is also a new string, whose hash the prepared statements' name lookup
// computed over its whole text on every call.
const compiledRotation = compiledStatement((db, values: RotationValues) => {
  const statement = rotationSql(values);
  return { compile: () => statement.compile(db) };
});

export async function rotate(
  db: Executor,
  oldJti: string,
  userId: number,
  next: NewRefreshToken,
  client: { ip?: string | undefined; userAgent?: string | undefined },
): Promise<Rotated | undefined> {
  const [row] = await compiledRotation(db, rotationValues(oldJti, userId, next, client));
  return (
    row && {
      familyId: row.family_id,
      tokenVersion: row.token_version,
      amr: row.amr,
      authTime: Number(row.auth_time),
    }
  );
}

/**
 * A session's last use, IP and user agent, written only when they change or
 * the last write is a minute old: a session list needs no finer clock, and a
 * refresh then writes no session row at all.
 */
function touchSession(familyId: RawBuilder<unknown>, ip: string | null, userAgent: string | null) {
  return sql`
      update refresh_families f
         set last_used_at = now(), ip = coalesce(${ip}, f.ip), user_agent = coalesce(${userAgent}, f.user_agent)
       where f.id = ${familyId}
         and (f.last_used_at < now() - interval '1 minute'
              or f.ip is distinct from coalesce(${ip}, f.ip)
              or f.user_agent is distinct from coalesce(${userAgent}, f.user_agent))`;
}

/**
 * A login as one statement (one round trip, atomic on its own): the new
 * session with how and when it authenticated, its first refresh token, the
 * user's `last_login`, and the `login_succeeded` event. False, with nothing
 * written, when the user was deleted while they logged in.
 */
export async function insertLogin(
  db: Executor,
  session: NewSession & { amr: string; authTime: number },
  token: NewRefreshToken,
  detail: Record<string, unknown>,
): Promise<boolean> {
  const { ip, user_agent: userAgent } = clientColumns(session);
  return sql`
    with family as (
      insert into refresh_families (id, user_id, expires_at, user_agent, ip, amr, auth_time)
      values (${session.id}, ${session.userId}, ${session.expiresAt}, ${userAgent}, ${ip},
              ${session.amr}, to_timestamp(${session.authTime}))
      returning id
    ), token as (
      insert into refresh_tokens (jti, user_id, family_id, expires_at, iat, exp)
      select ${token.jti}, ${session.userId}, id, ${rowExpiry(token, session.expiresAt)}, ${token.iat}, ${token.exp}
        from family
    ), seen as (
      ${lastLoginUpdate(session.userId)}
    )
    ${auditRow("login_succeeded", sql`${session.userId}::int`, ip, userAgent, { detail })}`
    .execute(db)
    .then(
      () => true,
      (error: unknown) => {
        if (userGone(error)) return false;
        throw error;
      },
    );
}

/** A new token in a session, without consuming another (rotation without blacklisting). */
export async function insertRefreshToken(
  db: Executor,
  token: NewRefreshToken & { userId: number; familyId: string; sessionEnd: Date },
): Promise<void> {
  await db
    .insertInto("refresh_tokens")
    .values({
      jti: token.jti,
      user_id: token.userId,
      family_id: token.familyId,
      expires_at: rowExpiry(token, token.sessionEnd),
      iat: token.iat,
      exp: token.exp,
    })
    .execute();
}

/** Revokes the live tokens of one session (ending it is sessions.endSession). */
export async function revokeTokensOfSession(db: Executor, familyId: string, reason: RevokeReason): Promise<void> {
  await db
    .updateTable("refresh_tokens")
    .set({ revoked_at: sql`now()`, revoke_reason: reason })
    .where("family_id", "=", familyId)
    .where("revoked_at", "is", null)
    .execute();
}

/** Revokes every live token of a user, found through their sessions (a token's user is its session's). */
export async function revokeTokensOfUser(db: Executor, userId: number, reason: RevokeReason): Promise<void> {
  await db
    .updateTable("refresh_tokens")
    .set({ revoked_at: sql`now()`, revoke_reason: reason })
    .where("family_id", "in", db.selectFrom("refresh_families").select("id").where("user_id", "=", userId))
    .where("revoked_at", "is", null)
    .execute();
}

/** Deletes every token of a user's sessions (a user's deletion: no foreign key cascades to them). */
export async function deleteTokensOfUser(db: Executor, userId: number): Promise<void> {
  await db
    .deleteFrom("refresh_tokens")
    .where("family_id", "in", db.selectFrom("refresh_families").select("id").where("user_id", "=", userId))
    .execute();
}

/**
 * Rows whose tokens can never verify again: past the token's own `exp` (rows
 * from before that was kept: past their expiry). A row pruned while its token
 * still verified could be presented again as one we never saw.
 */
export async function deleteExpiredRefreshTokens(db: Executor, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("refresh_tokens")
    .where(
      "jti",
      "in",
      db
        .selectFrom("refresh_tokens")
        .select("jti")
        .where(sql<boolean>`coalesce(to_timestamp(exp), expires_at) < now()`)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
