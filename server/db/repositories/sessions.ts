import { type ExpressionBuilder, sql } from "kysely";
import type { Executor } from "../connect.js";
import type { Database } from "../schema.js";

// Sessions, kept in `refresh_families`: a login starts one, each refresh
// continues it with a new token, and it ends by logout, revocation, reuse of a
// rotated token, or its absolute lifetime. Its id is the access tokens' session.

export type RevokeReason =
  | "rotated"
  | "logout"
  | "revoked"
  | "reuse_detected"
  | "password_changed"
  | "logout_everywhere"
  | "deactivated";

export interface NewSession {
  id: string;
  userId: number;
  /** The absolute end of the session, whatever the rotations. */
  expiresAt: Date;
  userAgent: string | undefined;
  ip: string | undefined;
}

/** The rule for a session that still counts, as SQL: not ended, and within its lifetime. */
export const sessionIsLive = (eb: ExpressionBuilder<Database, "refresh_families">) =>
  eb.and([eb("refresh_families.revoked_at", "is", null), eb("refresh_families.expires_at", ">", sql<Date>`now()`)]);

/** Ends one session; false when it had ended already. */
export async function endSession(db: Executor, id: string, reason: RevokeReason): Promise<boolean> {
  const result = await db
    .updateTable("refresh_families")
    .set({ revoked_at: sql`now()`, revoke_reason: reason })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * A live session of the user authenticated again (step-up): its `amr` and
 * `auth_time` become the new ones; answers the new `auth_time` (seconds), or
 * undefined when the session is not the user's or has ended.
 */
export async function reauthenticateSession(
  db: Executor,
  userId: number,
  id: string,
  amr: string,
): Promise<number | undefined> {
  const row = await db
    .updateTable("refresh_families")
    .set({ amr, auth_time: sql`now()` })
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .where(sessionIsLive)
    .returning(sql<string>`floor(extract(epoch from auth_time))::int8`.as("auth_time"))
    .executeTakeFirst();
  return row && Number(row.auth_time);
}

/** The user's session with this id, if it is theirs and has not ended. */
export async function findOwnSession(db: Executor, userId: number, id: string): Promise<boolean> {
  const row = await db
    .selectFrom("refresh_families")
    .select("id")
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return row !== undefined;
}

/** Ends every session of a user; answers how many were live. */
export async function endAllSessions(db: Executor, userId: number, reason: RevokeReason): Promise<number> {
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

/** Sessions still alive: not ended, within their lifetime, with a refresh token that still works. */
export async function listLiveSessions(db: Executor, userId: number): Promise<SessionRow[]> {
  const rows = await db
    .selectFrom("refresh_families")
    .select([
      "refresh_families.id",
      "refresh_families.created_at",
      "refresh_families.last_used_at",
      "refresh_families.expires_at",
      "refresh_families.user_agent",
      "refresh_families.ip",
    ])
    .where("refresh_families.user_id", "=", userId)
    .where(sessionIsLive)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("refresh_tokens as t")
          .select("t.jti")
          .whereRef("t.family_id", "=", "refresh_families.id")
          .where("t.revoked_at", "is", null)
          .where("t.expires_at", ">", sql<Date>`now()`),
      ),
    )
    .orderBy("refresh_families.last_used_at", "desc")
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

/**
 * Sessions with no token left (each is pruned once it can never verify
 * again). A session past its lifetime stays until then, so that none of its
 * tokens can be presented as one never seen.
 */
export async function deleteDeadSessions(db: Executor, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("refresh_families")
    .where(
      "id",
      "in",
      db
        .selectFrom("refresh_families as f")
        .select("f.id")
        .where((eb) =>
          eb.not(eb.exists(eb.selectFrom("refresh_tokens as t").select("t.jti").whereRef("t.family_id", "=", "f.id"))),
        )
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
