import { type Kysely, sql } from "kysely";
import { recordImport } from "../db/repositories/django-imports.js";
import type { Database } from "../db/schema.js";
import { isDjangoHash } from "../services/django-passwords.js";
import { importedFamilyId, importedSessionEnd } from "../services/imported-sessions.js";
import { type DjangoData, type DjangoOutstandingToken, type DjangoUser, userIdInToken } from "./records.js";

/**
 * Writes the Django service's users, tasks and refresh-token records into our
 * tables, in one transaction: ids kept, rows matched by id, so that a second
 * run updates and never duplicates. Anything that cannot go in as it is stops
 * the import before a row is written, with every problem listed.
 */
export interface ImportOptions {
  /** Shown in the report and kept in django_imports, e.g. the file or the URL without its password. */
  source: string;
  dryRun: boolean;
  /** SESSION_MAX_LIFETIME: imported sessions last as long as a login here would. */
  sessionMaxLifetime: number;
  progress?: (line: string) => void;
}

export interface Counts {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportSummary {
  dryRun: boolean;
  users: Counts;
  tasks: Counts;
  /** Refresh-token records (outstanding, and revoked where Django blacklisted them). */
  tokens: Counts & { revoked: number };
  skipped: { tokensOfUnknownUsers: number; tokensWithLongJti: number };
  /** Users whose hash no verifier here reads (e.g. md5): they need a password reset. By algorithm. */
  unverifiablePasswords: Record<string, number>;
  unusablePasswords: number;
  notes: string[];
}

export class ImportConflictError extends Error {
  constructor(readonly problems: string[]) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : "";
    super(`The import was not started:\n${shown.map((problem) => `  ${problem}`).join("\n")}${more}`);
    this.name = "ImportConflictError";
  }
}

const CHUNK = 1000;
const MAX_JTI_LENGTH = 64;

class DryRun extends Error {
  constructor(readonly summary: ImportSummary) {
    super("dry run");
  }
}

export async function importDjango(
  db: Kysely<Database>,
  data: DjangoData,
  options: ImportOptions,
): Promise<ImportSummary> {
  const problems = validate(data);
  if (problems.length > 0) throw new ImportConflictError(problems);
  const startedAt = new Date();
  const progress = options.progress ?? (() => {});
  try {
    return await db.transaction().execute(async (trx) => {
      const clashes = [...(await clashesWithExisting(trx, data.users)), ...(await tasksMadeHere(trx, data.tasks))];
      if (clashes.length > 0) throw new ImportConflictError(clashes);
      const summary = emptySummary(options.dryRun, data);
      summary.users = await inChunks(data.users, "users", progress, (chunk) => upsertUsers(trx, chunk));
      summary.tasks = await inChunks(data.tasks, "tasks", progress, (chunk) => upsertTasks(trx, chunk));
      const tokens = tokenRows(data, options.sessionMaxLifetime, summary);
      summary.tokens = {
        ...(await inChunks(tokens, "refresh tokens", progress, (chunk) => upsertTokens(trx, chunk))),
        revoked: tokens.filter((token) => token.revokedAt !== null).length,
      };
      await moveSequence(trx, "users");
      await moveSequence(trx, "tasks");
      if (options.dryRun) throw new DryRun(summary);
      await recordImport(trx, { source: options.source, startedAt, summary });
      return summary;
    });
  } catch (error) {
    if (error instanceof DryRun) return error.summary;
    throw error;
  }
}

/** What Django accepted but our schema does not: listed, never silently changed. */
function validate(data: DjangoData): string[] {
  const problems: string[] = [];
  const byEmail = new Map<string, string[]>();
  for (const user of data.users) {
    if (user.email === "") continue;
    const key = user.email.toLowerCase();
    byEmail.set(key, [...(byEmail.get(key) ?? []), user.username]);
  }
  for (const [email, usernames] of byEmail) {
    if (usernames.length > 1) {
      problems.push(`users ${usernames.join(", ")} share the email ${email} (ignoring case); emails are unique here`);
    }
  }
  const userIds = new Set(data.users.map((user) => user.id));
  for (const task of data.tasks) {
    if (task.title.trim() === "") problems.push(`task ${task.id} has a blank title; titles are required here`);
    if (!userIds.has(task.ownerId))
      problems.push(`task ${task.id} belongs to user ${task.ownerId}, who is not imported`);
  }
  return problems;
}

/**
 * Accounts made here that the import would collide with: one holding an
 * imported id, or an imported username or email under another id.
 */
async function clashesWithExisting(db: Kysely<Database>, users: DjangoUser[]): Promise<string[]> {
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

async function tasksMadeHere(db: Kysely<Database>, tasks: DjangoData["tasks"]): Promise<string[]> {
  const rows = await db
    .selectFrom("tasks")
    .select("id")
    .where("id", "=", sql<number>`any(${tasks.map((task) => task.id)}::bigint[])`)
    .where("imported_at", "is", null)
    .execute();
  return rows.map((row) => `task id ${row.id} is taken here by a task not imported from Django`);
}

function emptySummary(dryRun: boolean, data: DjangoData): ImportSummary {
  const none = { total: 0, created: 0, updated: 0, unchanged: 0 };
  const unverifiable: Record<string, number> = {};
  let unusable = 0;
  for (const user of data.users) {
    if (user.password.startsWith("!") || user.password === "") unusable += 1;
    else if (!isDjangoHash(user.password)) {
      const algorithm = user.password.split("$")[0] || "unknown";
      unverifiable[algorithm] = (unverifiable[algorithm] ?? 0) + 1;
    }
  }
  return {
    dryRun,
    users: none,
    tasks: none,
    tokens: { ...none, revoked: 0 },
    skipped: { tokensOfUnknownUsers: 0, tokensWithLongJti: 0 },
    unverifiablePasswords: unverifiable,
    unusablePasswords: unusable,
    notes: [...data.notes],
  };
}

async function inChunks<T>(
  rows: T[],
  label: string,
  progress: (line: string) => void,
  write: (chunk: T[]) => Promise<{ created: number; updated: number }>,
): Promise<Counts> {
  const counts: Counts = { total: rows.length, created: 0, updated: 0, unchanged: 0 };
  for (let start = 0; start < rows.length; start += CHUNK) {
    const { created, updated } = await write(rows.slice(start, start + CHUNK));
    counts.created += created;
    counts.updated += updated;
    progress(`${label}: ${Math.min(start + CHUNK, rows.length)}/${rows.length}`);
  }
  counts.unchanged = counts.total - counts.created - counts.updated;
  return counts;
}

type Written = { inserted: boolean };
const tally = (rows: Written[]) => ({
  created: rows.filter((row) => row.inserted).length,
  updated: rows.filter((row) => !row.inserted).length,
});

/**
 * `xmax = 0` tells an inserted row from an updated one; rows already equal are
 * not updated at all, so a second run reports them unchanged. A hash replaced
 * here (Argon2id, after a login or a password change) is never overwritten by
 * the older Django one.
 */
async function upsertUsers(db: Kysely<Database>, users: DjangoUser[]) {
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

async function upsertTasks(db: Kysely<Database>, tasks: DjangoData["tasks"]) {
  const column = <K extends keyof DjangoData["tasks"][number]>(key: K) => tasks.map((task) => task[key]);
  const result = await sql<Written>`
    insert into tasks as t (id, owner_id, title, description, is_completed, created_at, updated_at, imported_at)
    select id, owner_id, title, description, is_completed, created_at, created_at, now()
      from unnest(${column("id")}::bigint[], ${column("ownerId")}::int[], ${column("title")}::varchar[],
                  ${column("description")}::text[], ${column("isCompleted")}::bool[],
                  ${column("createdAt")}::timestamptz[])
           as d(id, owner_id, title, description, is_completed, created_at)
    on conflict (id) do update set
      owner_id = excluded.owner_id, title = excluded.title, description = excluded.description,
      is_completed = excluded.is_completed, created_at = excluded.created_at, updated_at = now()
    where (t.owner_id, t.title, t.description, t.is_completed, t.created_at)
            is distinct from
          (excluded.owner_id, excluded.title, excluded.description, excluded.is_completed, excluded.created_at)
    returning (xmax = 0) as inserted`.execute(db);
  return tally(result.rows);
}

interface TokenRow {
  jti: string;
  userId: number;
  familyId: string;
  createdAt: Date;
  expiresAt: Date;
  sessionEnd: Date;
  revokedAt: Date | null;
}

/**
 * One session per outstanding token (simplejwt has no sessions). A row with no
 * user (a rotated token blacklisted later) names its user in the token's claims.
 */
function tokenRows(data: DjangoData, sessionMaxLifetime: number, summary: ImportSummary): TokenRow[] {
  const userIds = new Set(data.users.map((user) => user.id));
  const revokedAt = new Map(data.blacklisted.map((entry) => [entry.outstandingId, entry.blacklistedAt]));
  const rows: TokenRow[] = [];
  const seen = new Set<string>();
  for (const token of data.outstanding) {
    const userId = ownerOf(token);
    if (userId === null || !userIds.has(userId)) {
      summary.skipped.tokensOfUnknownUsers += 1;
      continue;
    }
    if (token.jti.length > MAX_JTI_LENGTH) {
      summary.skipped.tokensWithLongJti += 1;
      continue;
    }
    if (seen.has(token.jti)) continue;
    seen.add(token.jti);
    const createdAt = token.createdAt ?? revokedAt.get(token.id) ?? token.expiresAt;
    rows.push({
      jti: token.jti,
      userId,
      familyId: importedFamilyId(token.jti),
      createdAt,
      expiresAt: token.expiresAt,
      sessionEnd: importedSessionEnd(createdAt, token.expiresAt, sessionMaxLifetime),
      revokedAt: revokedAt.get(token.id) ?? null,
    });
  }
  return rows;
}

const ownerOf = (token: DjangoOutstandingToken) => token.userId ?? userIdInToken(token.token);

/** A session and its token; a blacklisting seen in a later run revokes both, nothing here is ever un-revoked. */
async function upsertTokens(db: Kysely<Database>, tokens: TokenRow[]) {
  const column = <K extends keyof TokenRow>(key: K) => tokens.map((token) => token[key]);
  const rows = sql`unnest(${column("jti")}::varchar[], ${column("userId")}::int[], ${column("familyId")}::varchar[],
                          ${column("createdAt")}::timestamptz[], ${column("expiresAt")}::timestamptz[],
                          ${column("sessionEnd")}::timestamptz[], ${column("revokedAt")}::timestamptz[])
                   as d(jti, user_id, family_id, created_at, expires_at, session_end, revoked_at)`;
  await sql`
    insert into refresh_families as f (id, user_id, created_at, last_used_at, expires_at, revoked_at, revoke_reason)
    select family_id, user_id, created_at, created_at, session_end, revoked_at,
           case when revoked_at is null then null else 'revoked' end
      from ${rows}
    on conflict (id) do update set revoked_at = excluded.revoked_at, revoke_reason = excluded.revoke_reason
    where f.revoked_at is null and excluded.revoked_at is not null`.execute(db);
  const result = await sql<Written>`
    insert into refresh_tokens as t (jti, user_id, family_id, created_at, expires_at, revoked_at, revoke_reason, iat, exp)
    select jti, user_id, family_id, created_at, expires_at, revoked_at,
           case when revoked_at is null then null else 'revoked' end,
           floor(extract(epoch from created_at)), floor(extract(epoch from expires_at))
      from ${rows}
    on conflict (jti) do update set revoked_at = excluded.revoked_at, revoke_reason = excluded.revoke_reason
    where t.revoked_at is null and excluded.revoked_at is not null
    returning (xmax = 0) as inserted`.execute(db);
  return tally(result.rows);
}

/** New rows made here must get ids past the imported ones (and past any handed out already). */
async function moveSequence(db: Kysely<Database>, table: "users" | "tasks") {
  await sql`
    select setval(pg_get_serial_sequence(${table}, 'id'),
                  greatest((select coalesce(max(id), 0) from ${sql.table(table)}),
                           coalesce(pg_sequence_last_value(pg_get_serial_sequence(${table}, 'id')::regclass), 0)) + 1,
                  false)`.execute(db);
}
