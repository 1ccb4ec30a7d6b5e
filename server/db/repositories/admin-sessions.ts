import { sql } from "kysely";
import type { Executor } from "../connect.js";
import { clientColumns } from "./client-columns.js";
import { toUser, type User } from "./users.js";

// The admin console's cookie sessions, by the hash of their token. A session
// counts only while its user is still active staff: the rule is in the query.

export interface NewAdminSession {
  tokenHash: Uint8Array;
  userId: number;
  awaitingSecondFactor: boolean;
  lifetimeSeconds: number;
  ip: string | undefined;
  userAgent: string | undefined;
}

export async function insertAdminSession(db: Executor, session: NewAdminSession): Promise<void> {
  await db
    .insertInto("admin_sessions")
    .values({
      token_hash: session.tokenHash,
      user_id: session.userId,
      awaiting_second_factor: session.awaitingSecondFactor,
      expires_at: sql<Date>`now() + make_interval(secs => ${session.lifetimeSeconds})`,
      ...clientColumns(session),
    })
    .execute();
}

export interface AdminSessionRow {
  user: User;
  awaitingSecondFactor: boolean;
}

/** A live session of active staff, with its user; undefined otherwise. */
export async function findAdminSession(db: Executor, tokenHash: Uint8Array): Promise<AdminSessionRow | undefined> {
  const row = await db
    .selectFrom("admin_sessions as s")
    .innerJoin("users", "users.id", "s.user_id")
    .select([
      "users.id",
      "users.username",
      "users.email",
      "users.first_name",
      "users.last_name",
      "users.password_hash",
      "users.is_active",
      "users.is_staff",
      "users.is_superuser",
      "users.date_joined",
      "users.last_login",
      "users.token_version",
      "s.awaiting_second_factor",
    ])
    .where("s.token_hash", "=", tokenHash)
    .where("s.expires_at", ">", sql<Date>`now()`)
    .where("users.is_active", "=", true)
    .where("users.is_staff", "=", true)
    .executeTakeFirst();
  return row && { user: toUser(row), awaitingSecondFactor: row.awaiting_second_factor };
}

/** True when this request removed it (a second-factor step completes once). */
export async function deleteAdminSession(db: Executor, tokenHash: Uint8Array): Promise<boolean> {
  const result = await db.deleteFrom("admin_sessions").where("token_hash", "=", tokenHash).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function deleteExpiredAdminSessions(db: Executor, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("admin_sessions")
    .where(
      "token_hash",
      "in",
      db.selectFrom("admin_sessions").select("token_hash").where("expires_at", "<=", sql<Date>`now()`).limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
