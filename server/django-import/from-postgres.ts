import type { DjangoData, DjangoOutstandingToken, DjangoTask, DjangoUser } from "./records.js";

/** What the reader needs of a connection: `pg.Client` and PGlite both fit. */
export interface Queryable {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface PostgresSourceOptions {
  /** The task model's table: `tasks_task` in the seed design and the reference service. */
  tasksTable?: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Reads the Django service's database: `auth_user`, the task table and
 * simplejwt's `token_blacklist_*` tables (optional: a service without the
 * blacklist app has none). Tokens already expired are left behind.
 */
export async function readDjangoDatabase(client: Queryable, options: PostgresSourceOptions = {}): Promise<DjangoData> {
  const tasksTable = options.tasksTable ?? "tasks_task";
  if (!IDENTIFIER.test(tasksTable)) throw new Error(`--tasks-table: "${tasksTable}" is not a table name`);
  const exists = async (table: string) =>
    (await client.query<{ found: string | null }>("select to_regclass($1)::text as found", [table])).rows[0]?.found !=
    null;
  if (!(await exists("auth_user")))
    throw new Error("this database has no auth_user table: is it the Django service's?");
  const notes: string[] = [];

  const users = (
    await client.query<{
      id: number;
      username: string;
      email: string;
      first_name: string;
      last_name: string;
      password: string;
      is_active: boolean;
      is_staff: boolean;
      is_superuser: boolean;
      date_joined: Date;
      last_login: Date | null;
    }>(
      `select id, username, email, first_name, last_name, password, is_active, is_staff, is_superuser,
              date_joined, last_login
         from auth_user order by id`,
    )
  ).rows.map(
    (row): DjangoUser => ({
      id: Number(row.id),
      username: row.username,
      email: row.email,
      firstName: row.first_name,
      lastName: row.last_name,
      password: row.password,
      isActive: row.is_active,
      isStaff: row.is_staff,
      isSuperuser: row.is_superuser,
      dateJoined: new Date(row.date_joined),
      lastLogin: row.last_login && new Date(row.last_login),
    }),
  );

  let tasks: DjangoTask[] = [];
  if (await exists(tasksTable)) {
    const rows = await client.query<{
      id: string | number;
      owner_id: number;
      title: string;
      description: string;
      is_completed: boolean;
      created_at: Date;
    }>(`select id, owner_id, title, description, is_completed, created_at from "${tasksTable}" order by id`);
    tasks = rows.rows.map((row) => ({
      id: Number(row.id),
      ownerId: Number(row.owner_id),
      title: row.title,
      description: row.description,
      isCompleted: row.is_completed,
      createdAt: new Date(row.created_at),
    }));
  } else {
    notes.push(`no ${tasksTable} table: no tasks imported`);
  }

  let outstanding: DjangoOutstandingToken[] = [];
  let blacklisted: DjangoData["blacklisted"] = [];
  if (await exists("token_blacklist_outstandingtoken")) {
    // Only live tokens, and their text only where the row names no user: history stays behind.
    const rows = await client.query<{
      id: string | number;
      jti: string;
      user_id: number | null;
      token: string | null;
      created_at: Date | null;
      expires_at: Date;
    }>(
      `select id, jti, user_id, case when user_id is null then token end as token, created_at, expires_at
         from token_blacklist_outstandingtoken where expires_at > now() order by id`,
    );
    outstanding = rows.rows.map((row) => ({
      id: Number(row.id),
      jti: row.jti,
      userId: row.user_id === null ? null : Number(row.user_id),
      token: row.token,
      createdAt: row.created_at && new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
    }));
    if (await exists("token_blacklist_blacklistedtoken")) {
      const revoked = await client.query<{ token_id: string | number; blacklisted_at: Date }>(
        `select b.token_id, b.blacklisted_at from token_blacklist_blacklistedtoken b
           join token_blacklist_outstandingtoken o on o.id = b.token_id where o.expires_at > now()`,
      );
      blacklisted = revoked.rows.map((row) => ({
        outstandingId: Number(row.token_id),
        blacklistedAt: new Date(row.blacklisted_at),
      }));
    }
  } else {
    notes.push("no token_blacklist tables: no token records imported (live Django tokens are adopted when presented)");
  }
  return { users, tasks, outstanding, blacklisted, notes };
}
