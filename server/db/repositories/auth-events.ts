import { type RawBuilder, sql } from "kysely";
import type { Executor } from "../connect.js";
import { clientColumns } from "./client-columns.js";

export const AUTH_EVENTS = [
  "login_succeeded",
  "login_failed",
  "lockout",
  "otp_sent",
  "otp_failed",
  "otp_succeeded",
  "token_refreshed",
  "refresh_reuse_detected",
  "logout",
  "session_revoked",
  "logout_everywhere",
  "password_changed",
  "password_rehashed",
  "password_reset_requested",
  "password_reset",
  "user_registered",
  "user_created",
  "user_deactivated",
  "user_activated",
  "user_deleted",
  "user_staff_granted",
  "user_staff_revoked",
  "user_superuser_granted",
  "user_superuser_revoked",
  // Strong authentication (docs/strong-authentication.md).
  "totp_enrolment_started",
  "totp_enabled",
  "totp_disabled",
  "totp_failed",
  "recovery_codes_generated",
  "recovery_code_used",
  "passkey_registered",
  "passkey_renamed",
  "passkey_removed",
  "passkey_login_failed",
  "mfa_reset",
  "mfa_required",
  "mfa_failed",
  "reauthenticated",
  "email_verification_sent",
  "email_verified",
  "email_change_requested",
  "email_changed",
  // The admin console (server/admin/) and the outbox.
  "admin_signed_in",
  "admin_signed_out",
  "mail_retried",
] as const;
export type AuthEventName = (typeof AUTH_EVENTS)[number];

export interface AuthEventInput {
  event: AuthEventName;
  userId?: number | undefined;
  /** As presented, for failures that name no known user; never a password. */
  username?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  detail?: Record<string, unknown>;
}

/**
 * The insert of one event, for a statement that writes it along with its
 * change (a CTE of a login or a rotation); with `from`, one row per row of it.
 */
export function auditRow(
  event: AuthEventName,
  userId: RawBuilder<unknown>,
  ip: string | null,
  userAgent: string | null,
  options: { detail?: Record<string, unknown>; from?: RawBuilder<unknown> } = {},
) {
  const detail = options.detail ? JSON.stringify(options.detail) : null;
  const from = options.from ? sql` from ${options.from}` : sql``;
  return sql`insert into auth_events (event, user_id, ip, user_agent, detail)
      select ${event}, ${userId}, ${ip}, ${userAgent}, ${detail}::jsonb${from}`;
}

export async function recordEvent(db: Executor, input: AuthEventInput): Promise<void> {
  await db
    .insertInto("auth_events")
    .values({
      event: input.event,
      user_id: input.userId ?? null,
      username: input.username?.slice(0, 150) ?? null,
      ...clientColumns(input),
      detail: input.detail ? JSON.stringify(input.detail) : null,
    })
    .execute();
}

/**
 * Before a user is deleted: their events keep their name and lose their id.
 * The audit trail has no foreign key (an insert would check and lock the
 * user's row for every event), so the deletion does what `on delete set null` did.
 */
export async function detachEventsFromUser(db: Executor, userId: number, username: string): Promise<void> {
  await db
    .updateTable("auth_events")
    .set({ username: sql<string>`coalesce(username, ${username})`, user_id: null })
    .where("user_id", "=", userId)
    .execute();
}

export interface AuthEventRow {
  id: number;
  occurredAt: Date;
  event: string;
  userId: number | null;
  /** The user's name now, or as it was recorded (presented at a failed login, or before a deletion). */
  username: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: unknown;
}

export interface EventFilter {
  username?: string;
  event?: string;
  since?: Date;
  until?: Date;
}

/** The events a filter matches, with the user's name now (or as recorded): one query for the page and its count. */
function eventsMatching(db: Executor, filter: EventFilter) {
  let query = db.selectFrom("auth_events as e").leftJoin("users as u", "u.id", "e.user_id");
  if (filter.username !== undefined) {
    const username = filter.username;
    query = query.where((eb) =>
      eb.or([eb("u.username", "=", username), eb.and([eb("e.user_id", "is", null), eb("e.username", "=", username)])]),
    );
  }
  if (filter.event !== undefined) query = query.where("e.event", "=", filter.event);
  if (filter.since !== undefined) query = query.where("e.occurred_at", ">=", filter.since);
  if (filter.until !== undefined) query = query.where("e.occurred_at", "<", filter.until);
  return query;
}

/** Newest first. */
export async function listEvents(
  db: Executor,
  filter: EventFilter & { limit: number; offset?: number },
): Promise<AuthEventRow[]> {
  const rows = await eventsMatching(db, filter)
    .select([
      "e.id",
      "e.occurred_at",
      "e.event",
      "e.user_id",
      (eb) => eb.fn.coalesce("u.username", "e.username").as("username"),
      "e.ip",
      "e.user_agent",
      "e.detail",
    ])
    .orderBy("e.id", "desc")
    .limit(filter.limit)
    .offset(filter.offset ?? 0)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    occurredAt: row.occurred_at,
    event: row.event,
    userId: row.user_id,
    username: row.username,
    ip: row.ip,
    userAgent: row.user_agent,
    detail: typeof row.detail === "string" ? JSON.parse(row.detail) : row.detail,
  }));
}

export async function countEvents(db: Executor, filter: EventFilter): Promise<number> {
  const row = await eventsMatching(db, filter)
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function deleteEventsBefore(db: Executor, before: Date, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("auth_events")
    .where("id", "in", db.selectFrom("auth_events").select("id").where("occurred_at", "<", before).limit(limit))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export const countEventsSince = async (db: Executor, event: AuthEventName, since: Date) =>
  Number(
    (
      await db
        .selectFrom("auth_events")
        .select(sql<number>`count(*)`.as("n"))
        .where("event", "=", event)
        .where("occurred_at", ">=", since)
        .executeTakeFirstOrThrow()
    ).n,
  );
