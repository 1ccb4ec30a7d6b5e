import { type ExpressionBuilder, sql } from "kysely";
import type { Executor } from "../connect.js";
import type { Database } from "../schema.js";
import { containing } from "./like.js";

// Accounts as operators browse them (`manage user list`, the admin console):
// filtered, searched, and counted.

export interface UserFilter {
  active?: boolean;
  staff?: boolean;
  superuser?: boolean;
  /** A substring of the username, email or name, ignoring case; `%` and `_` match themselves. */
  search?: string;
}

export interface ListedUser {
  id: number;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
}

export interface UserCounts {
  matching: number;
  total: number;
  active: number;
  staff: number;
  superuser: number;
}

const filtered = (filter: UserFilter) => (eb: ExpressionBuilder<Database, "users">) => {
  const pattern = filter.search === undefined ? undefined : containing(filter.search);
  return eb.and([
    ...(filter.active !== undefined ? [eb("is_active", "=", filter.active)] : []),
    ...(filter.staff !== undefined ? [eb("is_staff", "=", filter.staff)] : []),
    ...(filter.superuser !== undefined ? [eb("is_superuser", "=", filter.superuser)] : []),
    ...(pattern !== undefined
      ? [
          eb.or(
            (["username", "email", "first_name", "last_name"] as const).map((column) => eb(column, "ilike", pattern)),
          ),
        ]
      : []),
  ]);
};

export async function listUsers(db: Executor, filter: UserFilter, limit: number): Promise<ListedUser[]> {
  const rows = await db
    .selectFrom("users")
    .select([
      "id",
      "username",
      "email",
      "first_name",
      "last_name",
      "is_active",
      "is_staff",
      "is_superuser",
      "date_joined",
      "last_login",
    ])
    .where(filtered(filter))
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    isActive: row.is_active,
    isStaff: row.is_staff,
    isSuperuser: row.is_superuser,
    dateJoined: row.date_joined,
    lastLogin: row.last_login,
  }));
}

export async function countUsers(db: Executor, filter: UserFilter): Promise<UserCounts> {
  const row = await db
    .selectFrom("users")
    .select((eb) => [
      sql<number>`count(*) filter (where ${filtered(filter)(eb)})`.as("matching"),
      sql<number>`count(*)`.as("total"),
      sql<number>`count(*) filter (where is_active)`.as("active"),
      sql<number>`count(*) filter (where is_staff)`.as("staff"),
      sql<number>`count(*) filter (where is_superuser)`.as("superuser"),
    ])
    .executeTakeFirstOrThrow();
  return {
    matching: Number(row.matching),
    total: Number(row.total),
    active: Number(row.active),
    staff: Number(row.staff),
    superuser: Number(row.superuser),
  };
}
