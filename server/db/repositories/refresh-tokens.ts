import { sql } from "kysely";
import type { Executor } from "../connect.js";
import { clientColumns } from "./client-columns.js";

/**
 * Refresh tokens, kept by jti (never the token), in families: one family per
 * login, every rotation in it. A family is what users see as a session.
 */
export type RevokeReason =
  | "rotated"
  | "logout"
  | "revoked"
  | "reuse_detected"
  | "password_changed"
  | "logout_everywhere"
  | "deactivated";

export interface NewFamily {
  id: string;
  userId: number;
  /** The absolute end of the session, whatever the rotations. */
  expiresAt: Date;
  userAgent: string | undefined;
  ip: string | undefined;
}

export async function insertRefreshToken(
  db: Executor,
  token: { jti: string; userId: number; familyId: string; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto("refresh_tokens")
    .values({ jti: token.jti, user_id: token.userId, family_id: token.familyId, expires_at: token.expiresAt })
    .execute();
}

/**
 * For imported and adopted sessions: inserts unless a family with this id
 * exists (a second import, a concurrent adoption) or the user does not. True
 * when it inserted.
 */
export async function insertFamilyIfAbsent(db: Executor, family: NewFamily & { createdAt: Date }): Promise<boolean> {
  const { ip, user_agent } = clientColumns(family);
  const row = await db
    .insertInto("refresh_families")
    .columns(["id", "user_id", "created_at", "last_used_at", "expires_at", "user_agent", "ip"])
    .expression(
      db
        .selectFrom("users")
        .select((eb) => [
          eb.val(family.id).as("id"),
          "id as user_id",
          // Parameters in a select list have no type of their own: name it.
          sql<Date>`${family.createdAt}::timestamptz`.as("created_at"),
          sql<Date>`${family.createdAt}::timestamptz`.as("last_used_at"),
          sql<Date>`${family.expiresAt}::timestamptz`.as("expires_at"),
          eb.val(user_agent).as("user_agent"),
          eb.val(ip).as("ip"),
        ])
        .where("id", "=", family.userId),
    )
    .onConflict((oc) => oc.column("id").doNothing())
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertRefreshTokenIfAbsent(
  db: Executor,
  token: { jti: string; userId: number; familyId: string; createdAt: Date; expiresAt: Date },
): Promise<boolean> {
  const row = await db
    .insertInto("refresh_tokens")
    .values({
      jti: token.jti,
      user_id: token.userId,
      family_id: token.familyId,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
    })
    .onConflict((oc) => oc.column("jti").doNothing())
    .returning("jti")
    .executeTakeFirst();
  return row !== undefined;
}

export interface Consumed {
  familyId: string;
  familyExpiresAt: Date;
  familyEnded: boolean;
  userId: number;
  userActive: boolean;
}

/**
 * Revokes an active token for rotation, in one statement (so of concurrent
 * callers exactly one gets it), and answers the state of its family and user.
 */
export async function consumeForRotation(db: Executor, jti: string): Promise<Consumed | undefined> {
  const row = await db
    .updateTable("refresh_tokens as t")
    .from("refresh_families as f")
    .innerJoin("users as u", "u.id", "f.user_id")
    .set({ revoked_at: sql`now()`, revoke_reason: "rotated" })
    .whereRef("f.id", "=", "t.family_id")
    .where("t.jti", "=", jti)
    .where("t.revoked_at", "is", null)
    .returning([
      "f.id as family_id",
      "f.expires_at as family_expires_at",
      sql<boolean>`f.revoked_at is not null or f.expires_at <= now()`.as("family_ended"),
      "u.id as user_id",
      "u.is_active",
    ])
    .executeTakeFirst();
  return (
    row && {
      familyId: row.family_id,
      familyExpiresAt: row.family_expires_at,
      familyEnded: row.family_ended,
      userId: row.user_id,
      userActive: row.is_active,
    }
  );
}

export interface StoredToken {
  familyId: string;
  userId: number;
  revokedAt: Date | null;
  revokeReason: string | null;
}

export async function findRefreshToken(db: Executor, jti: string): Promise<StoredToken | undefined> {
  const row = await db
    .selectFrom("refresh_tokens")
    .select(["family_id", "user_id", "revoked_at", "revoke_reason"])
    .where("jti", "=", jti)
    .executeTakeFirst();
  return (
    row && { familyId: row.family_id, userId: row.user_id, revokedAt: row.revoked_at, revokeReason: row.revoke_reason }
  );
}

export type RefreshTokenState = "active" | "revoked" | "unknown";

export async function refreshTokenState(db: Executor, jti: string): Promise<RefreshTokenState> {
  const token = await findRefreshToken(db, jti);
  if (!token) return "unknown";
  return token.revokedAt === null ? "active" : "revoked";
}

export async function touchFamily(db: Executor, familyId: string, client: { ip?: string; userAgent?: string }) {
  const { ip, user_agent } = clientColumns(client);
  await db
    .updateTable("refresh_families")
    .set({ last_used_at: sql`now()`, ...(ip ? { ip } : {}), ...(user_agent ? { user_agent } : {}) })
    .where("id", "=", familyId)
    .execute();
}

/** Ends a whole family: every token in it, the newest included. */
export async function revokeFamily(db: Executor, familyId: string, reason: RevokeReason): Promise<void> {
  await db
    .updateTable("refresh_tokens")
    .set({ revoked_at: sql`now()`, revoke_reason: reason })
    .where("family_id", "=", familyId)
    .where("revoked_at", "is", null)
    .execute();
  await db
    .updateTable("refresh_families")
    .set({ revoked_at: sql`now()`, revoke_reason: reason })
    .where("id", "=", familyId)
    .where("revoked_at", "is", null)
    .execute();
}

/** Ends one session of a user; false when it is not theirs or already over. */
export async function revokeUserFamily(
  db: Executor,
  userId: number,
  familyId: string,
  reason: RevokeReason,
): Promise<boolean> {
  const result = await db
    .updateTable("refresh_families")
    .set({ revoked_at: sql`now()`, revoke_reason: reason })
    .where("id", "=", familyId)
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await revokeFamily(db, familyId, reason);
  return true;
}

/** Ends every session of a user. */
export async function revokeAllFamilies(db: Executor, userId: number, reason: RevokeReason): Promise<number> {
  await db
    .updateTable("refresh_tokens")
    .set({ revoked_at: sql`now()`, revoke_reason: reason })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .execute();
  const result = await db
    .updateTable("refresh_families")
    .set({ revoked_at: sql`now()`, revoke_reason: reason })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface SessionRow {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
}

/** Sessions still alive: not revoked, within their lifetime, with a refresh token that still works. */
export async function listLiveFamilies(db: Executor, userId: number): Promise<SessionRow[]> {
  const rows = await db
    .selectFrom("refresh_families as f")
    .select(["f.id", "f.created_at", "f.last_used_at", "f.expires_at", "f.user_agent", "f.ip"])
    .where("f.user_id", "=", userId)
    .where("f.revoked_at", "is", null)
    .where("f.expires_at", ">", sql<Date>`now()`)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("refresh_tokens as t")
          .select("t.jti")
          .whereRef("t.family_id", "=", "f.id")
          .where("t.revoked_at", "is", null)
          .where("t.expires_at", ">", sql<Date>`now()`),
      ),
    )
    .orderBy("f.last_used_at", "desc")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
    ip: row.ip,
  }));
}

/** Rows that can never be presented again: expired tokens, and families past their lifetime (with their tokens). */
export async function deleteExpiredRefreshTokens(
  db: Executor,
  limit: number,
): Promise<{ tokens: number; sessions: number }> {
  const tokens = await db
    .deleteFrom("refresh_tokens")
    .where(
      "jti",
      "in",
      db.selectFrom("refresh_tokens").select("jti").where("expires_at", "<", sql<Date>`now()`).limit(limit),
    )
    .executeTakeFirst();
  const families = await db
    .deleteFrom("refresh_families")
    .where(
      "id",
      "in",
      db
        .selectFrom("refresh_families as f")
        .select("f.id")
        .where((eb) =>
          eb.or([
            eb("f.expires_at", "<", sql<Date>`now()`),
            eb.not(
              eb.exists(eb.selectFrom("refresh_tokens as t").select("t.jti").whereRef("t.family_id", "=", "f.id")),
            ),
          ]),
        )
        .limit(limit),
    )
    .executeTakeFirst();
  return { tokens: Number(tokens.numDeletedRows), sessions: Number(families.numDeletedRows) };
}

export interface Rotated {
  familyId: string;
  expiresAt: Date;
}

/**
 * The common rotation as one statement (one round trip, atomic on its own):
 * consumes `oldJti` if it is live, its family live and its user active, stores
 * `next` in the same family (never past the family's end), touches the family
 * and records the event. Undefined when any condition fails; the caller then
 * finds out why on the slow path.
 */
export async function rotateInOneStatement(
  db: Executor,
  oldJti: string,
  userId: number,
  next: { jti: string; expiresAt: Date },
  client: { ip?: string | undefined; userAgent?: string | undefined },
): Promise<Rotated | undefined> {
  const { rows } = await rotationStatement(oldJti, userId, next, client).execute(db);
  const row = rows[0];
  return row && { familyId: row.family_id, expiresAt: row.expires_at };
}

/**
 * Every row is reached by its primary key: the token, then its family, the
 * user and, for the touch, the family again, each through an equality with a
 * single value. Written as one join, the plan depended on statistics: on
 * tables analyzed while nearly empty (a new deployment, or autovacuum off)
 * PostgreSQL scanned every live family, or every token of the user through the
 * user_id index, on each refresh, and S2 of the bench fell to a fifth of its
 * speed (tests/db/rotation-plan.test.ts). `t.revoked_at is null` stays on the
 * updated row itself, so that of two concurrent rotations exactly one matches.
 */
export function rotationStatement(
  oldJti: string,
  userId: number,
  next: { jti: string; expiresAt: Date },
  client: { ip?: string | undefined; userAgent?: string | undefined },
) {
  const { ip, user_agent: userAgent } = clientColumns(client);
  return sql<{ family_id: string; expires_at: Date }>`
    with token as materialized (
      select user_id, family_id from refresh_tokens where jti = ${oldJti}
    ), family as materialized (
      select f.id, f.expires_at from refresh_families f
       where f.id = (select family_id from token where user_id = ${userId})
         and f.revoked_at is null and f.expires_at > now()
         and exists (select from users u where u.id = f.user_id and u.is_active)
    ), consumed as (
      update refresh_tokens t
         set revoked_at = now(), revoke_reason = 'rotated'
        from family f
       where t.jti = ${oldJti} and t.revoked_at is null and t.family_id = f.id
      returning t.family_id, least(${next.expiresAt}::timestamptz, f.expires_at) as expires_at
    ), issued as (
      insert into refresh_tokens (jti, user_id, family_id, expires_at)
      select ${next.jti}, ${userId}, family_id, expires_at from consumed
    ), touched as (
      update refresh_families f
         set last_used_at = now(), ip = coalesce(${ip}, f.ip), user_agent = coalesce(${userAgent}, f.user_agent)
       where f.id = (select family_id from consumed)
    ), audited as (
      insert into auth_events (event, user_id, ip, user_agent)
      select 'token_refreshed', ${userId}, ${ip}, ${userAgent} from consumed
    )
    select family_id, expires_at from consumed`;
}

/**
 * A login in one statement (one round trip, atomic on its own): the new
 * family, its first refresh token, the user's `last_login`, and the
 * `login_succeeded` event.
 */
export async function insertLoginSession(
  db: Executor,
  family: NewFamily,
  token: { jti: string; expiresAt: Date },
  detail: Record<string, unknown>,
): Promise<void> {
  const { ip, user_agent: userAgent } = clientColumns(family);
  await sql`
    with family as (
      insert into refresh_families (id, user_id, expires_at, user_agent, ip)
      values (${family.id}, ${family.userId}, ${family.expiresAt}, ${userAgent}, ${ip})
      returning id
    ), token as (
      insert into refresh_tokens (jti, user_id, family_id, expires_at)
      select ${token.jti}, ${family.userId}, id, ${token.expiresAt} from family
    ), seen as (
      update users set last_login = now() where id = ${family.userId}
    )
    insert into auth_events (event, user_id, ip, user_agent, detail)
    values ('login_succeeded', ${family.userId}, ${ip}, ${userAgent}, ${JSON.stringify(detail)}::jsonb)`.execute(db);
}
