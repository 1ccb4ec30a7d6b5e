// The bench databases: created, seeded with SQL, given history, dropped.
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import pg from "pg";
import { createArgon2Hasher } from "../dist/server/services/passwords.js";

export const PASSWORD = "Bench-Password-2024";
export const TASKS_PER_USER = 20;

const urlFor = (adminUrl, name) => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

export async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates `bench_<tag>`, optionally as a copy of another bench database; answers its URL. */
export async function createDatabase(adminUrl, name, template) {
  await withClient(adminUrl, (client) =>
    client.query(`create database ${name}${template ? ` template ${template}` : ""}`),
  );
  return urlFor(adminUrl, name);
}

export const dropDatabase = (adminUrl, name) =>
  withClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`));

/**
 * Users `bench0…`, each with 20 tasks, all with one real Argon2id hash made by
 * the server's own hasher (its parameters). Answers the user ids in order.
 * `passwordColumn` is `password` in the shared harness's floor's own schema.
 */
export async function seedUsers(url, count, { passwordColumn = "password_hash" } = {}) {
  const hash = await createArgon2Hasher().hash(PASSWORD);
  return withClient(url, async (client) => {
    const { rows } = await client.query(
      `insert into users (username, email, first_name, last_name, ${passwordColumn})
       select 'bench' || i, 'bench' || i || '@example.com', 'Bench', 'User ' || i, $1
       from generate_series(0, $2 - 1) i
       returning id`,
      [hash, count],
    );
    await client.query(
      `insert into tasks (owner_id, title, description, is_completed, created_at)
       select u.id, 'Task ' || n || ' of ' || u.username, 'Seeded task number ' || n, n % 3 = 0,
              now() - make_interval(mins => n)
       from users u, generate_series(1, $1) n`,
      [TASKS_PER_USER],
    );
    // No analyze, as ../shared/bench seeds (see bench/README.md, "Reading the numbers").
    return rows.map((row) => row.id).sort((a, b) => a - b);
  });
}

/**
 * `count` refresh tokens of past sessions, in families of ten: nine rotated and
 * the newest outstanding, or all ten revoked for every fifth family (logouts).
 */
export async function addHistory(url, userIds, count) {
  const families = Math.ceil(count / 10);
  const owner = (family) => `(($1::int[])[1 + ${family} % array_length($1::int[], 1)])`;
  await withClient(url, async (client) => {
    await client.query(
      `insert into refresh_families (id, user_id, created_at, last_used_at, expires_at, revoked_at, revoke_reason)
       select substr(md5('family' || f), 1, 24), ${owner("f")}, now() - interval '2 days', now() - interval '1 day',
              now() + interval '28 days',
              case when f % 5 = 0 then now() - interval '1 day' end, case when f % 5 = 0 then 'logout' end
       from generate_series(0, $2 - 1) f`,
      [userIds, families],
    );
    await client.query(
      `insert into refresh_tokens (jti, user_id, family_id, created_at, expires_at, revoked_at, revoke_reason)
       select md5('token' || t), ${owner("(t / 10)")}, substr(md5('family' || (t / 10)), 1, 24),
              now() - interval '2 days', now() + interval '1 day',
              case when t % 10 < 9 or (t / 10) % 5 = 0 then now() - interval '1 day' end,
              case when (t / 10) % 5 = 0 then 'logout' when t % 10 < 9 then 'rotated' end
       from generate_series(0, $2 - 1) t`,
      [userIds, count],
    );
    await client.query("vacuum analyze refresh_families, refresh_tokens");
  });
}

/** The shared floor's history for S7: `count` refresh tokens already used, in its own table. */
export const addUsedJtiHistory = (url, count) =>
  withClient(url, async (client) => {
    await client.query(
      `insert into used_refresh_jti (jti, expires_at)
       select md5('token' || t)::uuid, now() + interval '1 day' from generate_series(0, $1 - 1) t`,
      [count],
    );
    await client.query("vacuum analyze used_refresh_jti");
  });

/** The PostgreSQL backends serving this database (the servers' connections), for the CPU meter. */
export const postgresPids = (url) =>
  withClient(url, async (client) => {
    const { rows } = await client.query(
      "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
    );
    return rows.map((row) => row.pid);
  });

/** Writes out what earlier runs left dirty, so that no run pays for another's checkpoint. */
export const checkpoint = (url) => withClient(url, (client) => client.query("checkpoint"));

/**
 * Signs tokens exactly as the server does (simplejwt's claims), for sessions
 * stored as logins store them: an access token names its session in its jti.
 * With `sessions: false` (the shared floor, whose tokens name no session) nothing is stored.
 */
export function createMinter(url, signingKey, lifetimes, { sessions = true } = {}) {
  const key = new TextEncoder().encode(signingKey);
  const hex = (bytes) => randomBytes(bytes).toString("hex");
  const sign = (type, userId, jti) => {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ token_type: type, exp: iat + lifetimes[type], iat, jti, user_id: userId })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(key);
  };
  /** One new session per user id, with its first refresh token. */
  async function login(userIds) {
    const made = userIds.map((userId) => ({ userId, family: hex(12), jti: hex(16) }));
    if (!sessions) return made;
    const expires = new Date(Date.now() + lifetimes.refresh * 1000);
    await withClient(url, (client) =>
      client.query(
        `with families as (
           insert into refresh_families (id, user_id, expires_at)
           select family, user_id, $3 from unnest($1::text[], $2::int[]) as s(family, user_id)
         )
         insert into refresh_tokens (jti, user_id, family_id, expires_at)
         select jti, user_id, family, $3 from unnest($1::text[], $2::int[], $4::text[]) as s(family, user_id, jti)`,
        [made.map((s) => s.family), made.map((s) => s.userId), expires, made.map((s) => s.jti)],
      ),
    );
    return made;
  }
  return {
    /** An access token per user id, each in a session of its own. */
    access: async (userIds) =>
      Promise.all((await login(userIds)).map((s) => sign("access", s.userId, s.family + hex(8)))),
    /** A refresh token per user id, each the first of a session of its own. */
    refresh: async (userIds) => Promise.all((await login(userIds)).map((s) => sign("refresh", s.userId, s.jti))),
  };
}
