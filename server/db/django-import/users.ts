// The Django import's statements on one table (server/django-import/importer.ts
// runs them in its one transaction, in chunks).
import { sql } from "kysely";
import type { DjangoUser } from "../../django-import/records.js";
import type { Executor } from "../connect.js";
import { tally, type Written } from "./written.js";

/**
 * Accounts made here that the import would collide with: one holding an
 * imported id, or an imported username or email under another id.
 */
export async function clashesWithExisting(db: Executor, users: DjangoUser[]): Promise<string[]> {
  const ids = users.map((user) => user.id);
  const madeHere = await db
    .selectFrom("users")
    .select(["id", "username"])
    .where("id", "=", sql<number>`any(${ids}::int[])`)
    .where("imported_at", "is", null)
    .execute();
  const problems = madeHere.map(
    (row) => `user id ${row.id} is taken here by ${row.username}, an account not imported from Django`,
  );
  const names = users.map((user) => user.username);
  const emails = users.filter((user) => user.email !== "").map((user) => user.email.toLowerCase());
  const existing = await db
    .selectFrom("users")
    .select(["id", "username", "email"])
    .where((eb) =>
      eb.or([
        eb("username", "=", sql<string>`any(${names}::varchar[])`),
        eb.and([eb(sql`lower(email)`, "=", sql<string>`any(${emails}::varchar[])`), eb("email", "<>", "")]),
      ]),
    )
    .where("id", "<>", sql<number>`all(${ids}::int[])`)
    .execute();
  return problems.concat(
    existing.map((row) => {
      const theirs = users.find(
        (user) => user.username === row.username || user.email.toLowerCase() === row.email.toLowerCase(),
      );
      const what = theirs?.username === row.username ? `username ${row.username}` : `email ${row.email}`;
      return `${what} belongs to user ${row.id} here but to user ${theirs?.id} in Django`;
    }),
  );
}

/**
 * `xmax = 0` tells an inserted row from an updated one; rows already equal are
 * not updated at all, so a second run reports them unchanged. A hash replaced
 * here (Argon2id, after a login or a password change) is never overwritten by
 * the older Django one.
 */
export async function upsertUsers(db: Executor, users: DjangoUser[]) {
  const column = <K extends keyof DjangoUser>(key: K) => users.map((user) => user[key]);
  const result = await sql<Written>`
    insert into users as u (id, username, email, first_name, last_name, password_hash,
                            is_active, is_staff, is_superuser, date_joined, last_login, imported_at)
    select *, now() from unnest(${column("id")}::int[], ${column("username")}::varchar[], ${column("email")}::varchar[],
                         ${column("firstName")}::varchar[], ${column("lastName")}::varchar[],
                         ${column("password")}::varchar[], ${column("isActive")}::bool[],
                         ${column("isStaff")}::bool[], ${column("isSuperuser")}::bool[],
                         ${column("dateJoined")}::timestamptz[], ${column("lastLogin")}::timestamptz[])
    on conflict (id) do update set
      username = excluded.username, email = excluded.email,
      first_name = excluded.first_name, last_name = excluded.last_name,
      password_hash = case when u.password_hash like '$argon2%' then u.password_hash else excluded.password_hash end,
      is_active = excluded.is_active, is_staff = excluded.is_staff, is_superuser = excluded.is_superuser,
      date_joined = excluded.date_joined,
      last_login = greatest(u.last_login, excluded.last_login)
    where (u.username, u.email, u.first_name, u.last_name, u.is_active, u.is_staff, u.is_superuser, u.date_joined)
            is distinct from
          (excluded.username, excluded.email, excluded.first_name, excluded.last_name,
           excluded.is_active, excluded.is_staff, excluded.is_superuser, excluded.date_joined)
       or (u.password_hash not like '$argon2%' and u.password_hash <> excluded.password_hash)
       or excluded.last_login > coalesce(u.last_login, '-infinity')
    returning (xmax = 0) as inserted`.execute(db);
  return tally(result.rows);
}
