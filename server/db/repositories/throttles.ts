import { sql } from "kysely";
import type { Executor } from "../connect.js";

// Fixed-window counters kept in PostgreSQL, so that every process and every
// instance shares them. A hit is taken before the work it guards: of many
// concurrent hits on one counter, exactly `max_hits` per window find it unspent.

export interface CounterRule {
  key: string;
  maxHits: number;
  windowSeconds: number;
}

export interface TakenHit {
  key: string;
  /** This hit's place in the window; past maxHits, it was refused and counted nothing. */
  hits: number;
  maxHits: number;
  /** The window this hit fell in, exactly as stored (microseconds), to give it back to. */
  window: string;
  /** Seconds until the window ends (at least 1). */
  secondsLeft: number;
}

/**
 * A counter is not worth a flush to disk: it commits without waiting for one
 * (`synchronous_commit` off for its own transaction; a crash of PostgreSQL
 * forgets at most the last moments of hits, as a counter kept in memory would
 * forget them all). Inside a caller's transaction it changes nothing: that
 * commit is the caller's to make durable.
 */
const commitSetting = (inTransaction: boolean) =>
  inTransaction ? sql`null` : sql`set_config('synchronous_commit', 'off', true)`;

// One array per column, so that the statement's text is the same for any number of counters.
export interface TakeValues {
  keys: string[];
  windowSeconds: number[];
  maxHits: number[];
}

/** The rules sorted by key (so two callers never wait on each other in a cycle), as the take's values. */
export function takeValues(rules: readonly CounterRule[]): TakeValues {
  const sorted = [...rules].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    keys: sorted.map((rule) => rule.key),
    windowSeconds: sorted.map((rule) => rule.windowSeconds),
    maxHits: sorted.map((rule) => rule.maxHits),
  };
}

export interface TakenRow {
  key: string;
  hits: number;
  max_hits: number;
  window_text: string;
  seconds_left: number;
}

/**
 * One hit on each counter, in one statement (so concurrent callers are ordered
 * by the row locks), in the values' key order. A window that is over starts
 * again at this hit. A statement of its own, or the first part of one that
 * reads something else with it (users.ts: a password login's user); its text
 * depends on whether it runs in a transaction (`commitSetting`).
 */
export function takeStatement(values: TakeValues, inTransaction: boolean) {
  const inWindow = sql`t.window_started_at + make_interval(secs => excluded.window_seconds) > now()`;
  return sql<TakenRow>`
    insert into throttles as t (key, window_started_at, window_seconds, max_hits, hits)
    select key, now(), window_seconds, max_hits, 1
      from unnest(${values.keys}::varchar[], ${values.windowSeconds}::int[], ${values.maxHits}::int[])
           as d(key, window_seconds, max_hits)
     order by key
    on conflict (key) do update set
      hits = case when ${inWindow} then least(t.hits + 1, excluded.max_hits + 1) else 1 end,
      window_started_at = case when ${inWindow} then t.window_started_at else now() end,
      window_seconds = excluded.window_seconds,
      max_hits = excluded.max_hits
    returning key, hits, max_hits, window_started_at::text as window_text,
              greatest(1, ceil(extract(epoch from window_started_at + make_interval(secs => window_seconds) - now())))::int
                as seconds_left, ${commitSetting(inTransaction)} as commit_setting`;
}

export const toTakenHit = (row: TakenRow): TakenHit => ({
  key: row.key,
  hits: row.hits,
  maxHits: row.max_hits,
  window: row.window_text,
  secondsLeft: row.seconds_left,
});

export async function takeHits(db: Executor, rules: readonly CounterRule[]): Promise<TakenHit[]> {
  if (rules.length === 0) return [];
  const { rows } = await takeStatement(takeValues(rules), db.isTransaction).execute(db);
  return rows.map(toTakenHit);
}

/**
 * What an attempt leaves behind, in one statement: the `clear` counters go,
 * and each hit in `giveBack` returns to its window (nothing, once that window
 * is over). A key is in one list or the other, never both. Every row it
 * changes is locked first, in key order, as `takeHits` locks them: a take and
 * a settle of the same counters (one account logging in twice at once) never
 * wait on each other in a cycle.
 *
 * Each key is written into the statement as a value of its own (`in ($1, $2)`),
 * not passed as one array: for `key = any($1)` a prepared statement's generic
 * plan cannot know how many keys come, and one made while the table was small
 * scanned every counter, three times, at every successful login (an attacker's
 * guesses at many usernames leave a counter each). With the keys counted, the
 * primary key is cheaper at any size (tests/db/throttle-plan.test.ts). There
 * is one statement per count of keys, and logins use one or two.
 */
export function settleStatement(
  db: Executor,
  clear: readonly string[],
  giveBack: readonly Pick<TakenHit, "key" | "window">[],
) {
  const keys = [...clear, ...giveBack.map((hit) => hit.key)];
  const returned =
    giveBack.length === 0
      ? sql``
      : sql`, returned as (
      update throttles t set hits = greatest(t.hits - 1, 0)
       where t.key in (${sql.join(giveBack.map((hit) => hit.key))})
         and (t.key, t.window_started_at) in (${sql.join(giveBack.map((hit) => sql`(${hit.key}, ${hit.window}::timestamptz)`))})
         and t.key in (select key from locked)
    )`;
  const cleared =
    clear.length === 0
      ? sql``
      : sql`, cleared as (
      delete from throttles where key in (${sql.join(clear)}) and key in (select key from locked)
    )`;
  return sql`
    with locked as (
      select key from throttles where key in (${sql.join(keys)}) order by key for update
    )${returned}${cleared}
    select ${commitSetting(db.isTransaction)} as commit_setting`;
}

export async function settleHits(
  db: Executor,
  clear: readonly string[],
  giveBack: readonly Pick<TakenHit, "key" | "window">[],
): Promise<void> {
  if (clear.length === 0 && giveBack.length === 0) return;
  await settleStatement(db, clear, giveBack).execute(db);
}

/** Gives hits back to their windows (nothing, once a window is over). */
export const returnHits = (db: Executor, taken: readonly Pick<TakenHit, "key" | "window">[]) =>
  settleHits(db, [], taken);

/** Deletes the counters (a lockout lifted). */
export const clearKeys = (db: Executor, keys: readonly string[]): Promise<void> => settleHits(db, keys, []);

/** Counters whose window ended more than `olderThanSeconds` ago can go. */
export async function deleteStaleThrottles(db: Executor, olderThanSeconds: number, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("throttles")
    .where(
      "key",
      "in",
      db
        .selectFrom("throttles")
        .select("key")
        .where(
          sql<boolean>`window_started_at + make_interval(secs => window_seconds) < now() - make_interval(secs => ${olderThanSeconds})`,
        )
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
