import { sql } from "kysely";
import type { Executor } from "../connect.js";

/**
 * Fixed-window counters kept in PostgreSQL, so that every process and every
 * instance shares them. A key that reaches its limit within its window is
 * blocked for a while.
 */
export interface Blocked {
  key: string;
  secondsLeft: number;
}

/** Which of these keys are blocked now, and which have a counter at all. */
export async function throttleState(
  db: Executor,
  keys: string[],
): Promise<{ blocked: Blocked[]; counted: Set<string> }> {
  if (keys.length === 0) return { blocked: [], counted: new Set() };
  const rows = await db
    .selectFrom("throttles")
    .select([
      "key",
      sql<number | null>`case when blocked_until > now() then ceil(extract(epoch from blocked_until - now())) end`.as(
        "seconds_left",
      ),
    ])
    .where("key", "in", keys)
    .execute();
  return {
    blocked: rows
      .filter((row) => row.seconds_left !== null)
      .map((row) => ({ key: row.key, secondsLeft: Math.max(1, Number(row.seconds_left)) })),
    counted: new Set(rows.map((row) => row.key)),
  };
}

export interface HitResult {
  hits: number;
  /** True when this hit started a block. */
  blockedNow: boolean;
}

/** Counts one hit; at `limit` hits within `windowSeconds`, blocks the key for `blockSeconds`. */
export async function hit(
  db: Executor,
  key: string,
  limit: number,
  windowSeconds: number,
  blockSeconds: number,
): Promise<HitResult> {
  const inWindow = sql<boolean>`throttles.window_started_at > now() - make_interval(secs => ${windowSeconds})`;
  const row = await db
    .insertInto("throttles")
    .values({ key, window_started_at: sql`now()`, hits: 1 })
    .onConflict((oc) =>
      oc.column("key").doUpdateSet({
        hits: sql`case when ${inWindow} then throttles.hits + 1 else 1 end`,
        window_started_at: sql`case when ${inWindow} then throttles.window_started_at else now() end`,
      }),
    )
    .returning(["hits", sql<boolean>`blocked_until is not null and blocked_until > now()`.as("blocked")])
    .executeTakeFirstOrThrow();
  if (row.hits < limit || row.blocked) return { hits: row.hits, blockedNow: false };
  await db
    .updateTable("throttles")
    .set({ blocked_until: sql`now() + make_interval(secs => ${blockSeconds})` })
    .where("key", "=", key)
    .execute();
  return { hits: row.hits, blockedNow: true };
}

export async function clearKeys(db: Executor, keys: string[]): Promise<void> {
  if (keys.length > 0) await db.deleteFrom("throttles").where("key", "in", keys).execute();
}

/** Counters whose window and block are both over can go. */
export async function deleteStaleThrottles(db: Executor, olderThanSeconds: number, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("throttles")
    .where(
      "key",
      "in",
      db
        .selectFrom("throttles")
        .select("key")
        .where("window_started_at", "<", sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
        .where((eb) => eb.or([eb("blocked_until", "is", null), eb("blocked_until", "<", sql<Date>`now()`)]))
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
