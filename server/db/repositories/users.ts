import {
  type ExpressionBuilder,
  type InferResult,
  type Insertable,
  type Selectable,
  sql,
  type Updateable,
} from "kysely";
import { compiledStatement } from "../compiled.js";
import type { Executor } from "../connect.js";
import type { Database, UsersTable } from "../schema.js";
import { type SecondFactorRow, type SecondFactors, secondFactorColumns, toSecondFactors } from "./second-factors.js";
import { sessionIsLive } from "./sessions.js";
import {
  type CounterRule,
  type TakenHit,
  type TakenRow,
  type TakeValues,
  takeStatement,
  takeValues,
  toTakenHit,
} from "./throttles.js";

export interface User {
  id: number;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  passwordHash: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
  /** Access tokens carry the version they were issued under; revoking them all bumps it. */
  tokenVersion: number;
}

const columns = [
  "id",
  "username",
  "email",
  "first_name",
  "last_name",
  "password_hash",
  "is_active",
  "is_staff",
  "is_superuser",
  "date_joined",
  "last_login",
  "token_version",
] as const;

export function toUser(row: Pick<Selectable<UsersTable>, (typeof columns)[number]>): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    passwordHash: row.password_hash,
    isActive: row.is_active,
    isStaff: row.is_staff,
    isSuperuser: row.is_superuser,
    dateJoined: row.date_joined,
    lastLogin: row.last_login,
    tokenVersion: row.token_version,
  };
}

/** What an access token says about its holder, once its signature and expiry are checked. */
export interface TokenClaims {
  userId: number;
  /** `ver`: the user's token version when it was issued. */
  version: number;
  /** The session it belongs to, when it names one. */
  sid: string | undefined;
}

/**
 * The rule, written once: the token's user accepts it. The user is active,
 * has not revoked every token since (the same token version), and the
 * token's session, if it names one, has not ended. Statements that check a
 * token themselves use it as a condition; `findTokenUser` reads it as a column.
 *
 * The session is read by its key alone, once, and its owner compared with
 * the user after: correlated with `users.id`, the generic plan a connection
 * made while the tables were small (and kept: nothing analyzed them again)
 * read the session through `refresh_families.user_id`, once per task of a
 * list, over every session the user ever had (tests/db/token-check-plan.test.ts).
 */
export const acceptsToken = (claims: TokenClaims) => (eb: ExpressionBuilder<Database, "users">) =>
  eb.and([
    eb("users.id", "=", claims.userId),
    eb("users.is_active", "=", true),
    eb("users.token_version", "=", claims.version),
    ...(claims.sid === undefined
      ? []
      : [
          eb(
            "users.id",
            "=",
            eb
              .selectFrom("refresh_families")
              .select("refresh_families.user_id")
              .where("refresh_families.id", "=", claims.sid)
              .where(sessionIsLive),
          ),
        ]),
  ]);

// The statements below bind exactly these (compiled.ts refuses a value it is not given as a parameter).
const claimValues = ({ userId, version, sid }: TokenClaims): TokenClaims => ({ userId, version, sid });

// Every authenticated request runs it.
const tokenUser = compiledStatement((db, claims: TokenClaims) =>
  db
    .selectFrom("users")
    .select(columns)
    .select((eb) => acceptsToken(claims)(eb).as("accepted"))
    .where("id", "=", claims.userId),
);

// What verify asks, and nothing more: each column is parsed from the wire on every request.
const tokenAccepted = compiledStatement((db, claims: TokenClaims) =>
  db.selectFrom("users").select("id").where(acceptsToken(claims)),
);

/** Whether the rule accepts the token (false for a user that does not exist): one indexed query. */
export async function isTokenAccepted(db: Executor, claims: TokenClaims): Promise<boolean> {
  const rows = await tokenAccepted(db, claimValues(claims));
  return rows.length > 0;
}

export type Profile = Pick<User, "id" | "username" | "email" | "firstName" | "lastName">;

// The profile is what an app asks for most: read with the token's check, in one statement.
const tokenProfile = compiledStatement((db, claims: TokenClaims) =>
  db.selectFrom("users").select(["id", "username", "email", "first_name", "last_name"]).where(acceptsToken(claims)),
);

/** The token holder's profile, if the rule accepts the token: one indexed query. */
export async function findAcceptedProfile(db: Executor, claims: TokenClaims): Promise<Profile | undefined> {
  const [row] = await tokenProfile(db, claimValues(claims));
  return (
    row && { id: row.id, username: row.username, email: row.email, firstName: row.first_name, lastName: row.last_name }
  );
}

/** The token's user, and whether the rule accepts the token: one indexed query. */
export async function findTokenUser(
  db: Executor,
  claims: TokenClaims,
): Promise<{ user: User; accepted: boolean } | undefined> {
  const [row] = await tokenUser(db, claimValues(claims));
  return row && { user: toUser(row), accepted: row.accepted === true };
}

export async function findUserById(db: Executor, id: number): Promise<User | undefined> {
  const row = await db.selectFrom("users").select(columns).where("id", "=", id).executeTakeFirst();
  return row && toUser(row);
}

export async function findUserByUsername(db: Executor, username: string): Promise<User | undefined> {
  const row = await db.selectFrom("users").select(columns).where("username", "=", username).executeTakeFirst();
  return row && toUser(row);
}

// A password login reads the user and, for after the password, the second factors in one round trip.
const loginUserQuery = (db: Executor, username: string) =>
  db.selectFrom("users").select(columns).select(secondFactorColumns).where("username", "=", username);

type LoginUserRow = InferResult<ReturnType<typeof loginUserQuery>>[number];

export interface LoginUser {
  user: User;
  secondFactors: SecondFactors;
}

const toLoginUser = (row: LoginUserRow): LoginUser => ({
  user: toUser(row),
  secondFactors: toSecondFactors(row as SecondFactorRow),
});

const loginUser = compiledStatement((db, v: { username: string }) => loginUserQuery(db, v.username));

/** The user a password login names, with the second factors it must finish with. */
export async function findLoginUser(db: Executor, username: string): Promise<LoginUser | undefined> {
  const [row] = await loginUser(db, { username });
  return row && toLoginUser(row);
}

const loginUserTakingHits = compiledStatement((db, v: TakeValues & { username: string }, shape) => {
  const statement = sql<TakenRow & Partial<LoginUserRow>>`
    with taken as (${takeStatement(v, shape === "transaction")})
    select taken.*, login.* from taken left join ${loginUserQuery(db, v.username)} as login on true`;
  return { compile: () => statement.compile(db) };
});

/**
 * `findLoginUser` and `takeHits` in one statement (one round trip), for a
 * login whose counters do not depend on the account: a row per hit, each with
 * the user's columns, null when no user has that name. The user is read as
 * the statement starts, as a read before the take would read it. With no
 * rules there would be no row to carry the user: a caller error.
 */
export async function takeHitsFindingLoginUser(
  db: Executor,
  rules: readonly CounterRule[],
  username: string,
): Promise<{ taken: TakenHit[]; found: LoginUser | undefined }> {
  if (rules.length === 0) throw new Error("takeHitsFindingLoginUser: no counters to take from");
  const rows = await loginUserTakingHits(db, { ...takeValues(rules), username }, db.isTransaction ? "transaction" : "");
  const [first] = rows;
  return {
    taken: rows.map(toTakenHit),
    found: first?.id == null ? undefined : toLoginUser(first as LoginUserRow),
  };
}

/** Which of a username and an email (ignoring case) are already taken; undefined ones are not looked up. */
export async function findTaken(db: Executor, username: string | undefined, email: string | undefined) {
  if (username === undefined && email === undefined) return { username: false, email: false };
  const rows = await db
    .selectFrom("users")
    .select(["username", "email"])
    .where((eb) =>
      eb.or([
        ...(username !== undefined ? [eb("username", "=", username)] : []),
        // `email <> ''` lets PostgreSQL use the partial unique index.
        ...(email !== undefined
          ? [eb.and([eb(sql`lower(email)`, "=", email.toLowerCase()), eb("email", "<>", "")])]
          : []),
      ]),
    )
    .execute();
  return {
    username: username !== undefined && rows.some((row) => row.username === username),
    email: email !== undefined && rows.some((row) => row.email.toLowerCase() === email.toLowerCase()),
  };
}

export type NewUser = Pick<
  Insertable<UsersTable>,
  "username" | "email" | "first_name" | "last_name" | "password_hash"
> &
  Partial<Pick<Insertable<UsersTable>, "is_staff" | "is_superuser" | "is_active" | "email_verified_at">>;

/** Throws the database's unique violation (`users_username_key` or `users_email_key`) for the caller to map. */
export async function insertUser(db: Executor, user: NewUser): Promise<User> {
  const row = await db.insertInto("users").values(user).returning(columns).executeTakeFirstOrThrow();
  return toUser(row);
}

export async function setPasswordHash(db: Executor, id: number, passwordHash: string): Promise<void> {
  await db.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", id).execute();
}

/**
 * The rule, written once: a login sets `last_login` (Django's `update_last_login`).
 * A statement of its own, or a CTE of one (the API's login writes it with the session).
 */
export const lastLoginUpdate = (id: number) => sql`update users set last_login = now() where id = ${id}`;

export async function setLastLogin(db: Executor, id: number): Promise<void> {
  await lastLoginUpdate(id).execute(db);
}

/** Replaces a hash only if it is still the one that was verified: a concurrent password change wins. */
export async function upgradePasswordHash(db: Executor, id: number, from: string, to: string): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ password_hash: to })
    .where("id", "=", id)
    .where("password_hash", "=", from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export type UserRef = { id: number } | { username: string };

const matching = (ref: UserRef) => (eb: ExpressionBuilder<Database, "users">) =>
  "id" in ref ? eb("id", "=", ref.id) : eb("username", "=", ref.username);

/** The user, locked until the end of the transaction (check, then act). */
export async function lockUser(db: Executor, ref: UserRef): Promise<User | undefined> {
  const row = await db.selectFrom("users").select(columns).where(matching(ref)).forUpdate().executeTakeFirst();
  return row && toUser(row);
}

export type UserFlags = Partial<Pick<Updateable<UsersTable>, "is_active" | "is_staff" | "is_superuser">>;

/** Sets account flags (a deactivation's sessions and tokens are the sessions service's to end). */
export async function setUserFlags(db: Executor, id: number, flags: UserFlags): Promise<User> {
  const row = await db
    .updateTable("users")
    .set(flags)
    .where("id", "=", id)
    .returning(columns)
    .executeTakeFirstOrThrow();
  return toUser(row);
}

/** Refuses every access token of the user issued so far. */
export async function bumpTokenVersion(db: Executor, id: number): Promise<void> {
  await db.updateTable("users").set({ token_version: sql`token_version + 1` }).where("id", "=", id).execute();
}

export async function deleteUser(db: Executor, id: number): Promise<void> {
  await db.deleteFrom("users").where("id", "=", id).execute();
}

/** The account an email belongs to (ignoring case; unique by index). */
export async function findUserByEmail(db: Executor, email: string): Promise<User | undefined> {
  const row = await db
    .selectFrom("users")
    .select(columns)
    .where(sql`lower(email)`, "=", email.toLowerCase())
    .where("email", "<>", "")
    .executeTakeFirst();
  return row && toUser(row);
}
