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
  /** A confirmed TOTP credential or a passkey. */
  secondFactor?: boolean;
  joinedFrom?: Date;
  joinedBefore?: Date;
  lastLoginFrom?: Date;
  lastLoginBefore?: Date;
}

export const USER_ORDER_COLUMNS = ["id", "username", "email", "date_joined", "last_login"] as const;

export interface UserOrder {
  column: (typeof USER_ORDER_COLUMNS)[number];
  descending: boolean;
}

export interface UserPage {
  limit: number;
  offset?: number;
  order?: UserOrder;
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
  hasSecondFactor: boolean;
}

export interface UserCounts {
  matching: number;
  total: number;
  active: number;
  staff: number;
  superuser: number;
}

/** The rule, once: an account has a second factor when its TOTP is confirmed or it has a passkey. */
const hasSecondFactor = (eb: ExpressionBuilder<Database, "users">) =>
  eb.or([
    eb.exists(
      eb
        .selectFrom("totp_credentials as t")
        .select("t.user_id")
        .whereRef("t.user_id", "=", "users.id")
        .where("t.confirmed_at", "is not", null),
    ),
    eb.exists(eb.selectFrom("passkeys as p").select("p.id").whereRef("p.user_id", "=", "users.id")),
  ]);

const filtered = (filter: UserFilter) => (eb: ExpressionBuilder<Database, "users">) => {
  const pattern = filter.search === undefined ? undefined : containing(filter.search);
  return eb.and([
    ...(filter.active !== undefined ? [eb("is_active", "=", filter.active)] : []),
    ...(filter.secondFactor === true ? [hasSecondFactor(eb)] : []),
    ...(filter.secondFactor === false ? [eb.not(hasSecondFactor(eb))] : []),
    ...(filter.joinedFrom !== undefined ? [eb("date_joined", ">=", filter.joinedFrom)] : []),
    ...(filter.joinedBefore !== undefined ? [eb("date_joined", "<", filter.joinedBefore)] : []),
    ...(filter.lastLoginFrom !== undefined ? [eb("last_login", ">=", filter.lastLoginFrom)] : []),
    ...(filter.lastLoginBefore !== undefined ? [eb("last_login", "<", filter.lastLoginBefore)] : []),
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

export async function listUsers(db: Executor, filter: UserFilter, page: UserPage): Promise<ListedUser[]> {
  const order = page.order ?? { column: "id", descending: false };
  const direction = order.descending ? "desc" : "asc";
  let query = db
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
      (eb) => hasSecondFactor(eb).as("has_second_factor"),
    ])
    .where(filtered(filter));
  // Never-logged-in accounts sort last either way; the id breaks ties, so pages never overlap.
  query =
    order.column === "last_login"
      ? query.orderBy(sql`last_login ${sql.raw(direction)} nulls last`)
      : query.orderBy(order.column, direction);
  if (order.column !== "id") query = query.orderBy("id", direction);
  const rows = await query
    .limit(page.limit)
    .offset(page.offset ?? 0)
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
    hasSecondFactor: row.has_second_factor === true,
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
