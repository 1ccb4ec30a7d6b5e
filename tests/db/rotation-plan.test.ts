import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotationStatement } from "../../server/db/repositories/refresh-tokens.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { explainCachedPlan, explainRolledBack, userWithSessions } from "../helpers/plans.js";

/**
 * The refresh hot path must not depend on fresh statistics: a new deployment,
 * or a server with autovacuum off, plans it against tables analyzed while
 * empty. Here 128 users have 512 sessions of 10 rotations each, the
 * statistics say the refresh tables are empty, and one rotation must still
 * read a handful of pages, under a custom plan and under the generic plan
 * that a prepared statement gets after five calls.
 */
const USERS = 128;
const FAMILIES = 512;
const TOKENS_PER_FAMILY = 10;

let database: TestDatabase;
let userId: number;
let liveJti: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  const users = await sql<{ id: number }>`
    insert into users (username, email, password_hash)
    select 'plan-' || i, 'plan-' || i || '@example.com', 'x' from generate_series(1, ${USERS}) i
    returning id`.execute(db);
  const ids = users.rows.map((row) => row.id);
  userId = ids[0] as number;
  await sql`analyze users, refresh_families, refresh_tokens`.execute(db);
  await sql`
    insert into refresh_families (id, user_id, expires_at)
    select 'plan-family-' || f, (${ids}::int[])[1 + f % ${USERS}], now() + interval '30 days'
    from generate_series(1, ${FAMILIES}) f`.execute(db);
  // Nine rotated tokens and the live tenth in every family.
  await sql`
    insert into refresh_tokens (jti, user_id, family_id, expires_at, revoked_at, revoke_reason)
    select 'plan-' || f || '-' || n, (${ids}::int[])[1 + f % ${USERS}], 'plan-family-' || f, now() + interval '1 day',
           case when n < ${TOKENS_PER_FAMILY} then now() end, case when n < ${TOKENS_PER_FAMILY} then 'rotated' end
    from generate_series(1, ${FAMILIES}) f, generate_series(1, ${TOKENS_PER_FAMILY}) n`.execute(db);
  // Family 128 belongs to the first user (1 + 128 % 128).
  liveJti = `plan-${USERS}-${TOKENS_PER_FAMILY}`;
});
afterAll(() => database.close());

describe("the one-statement rotation", () => {
  for (const mode of ["force_custom_plan", "force_generic_plan"]) {
    it(`reads a few pages, not the user's history, under ${mode} on stale statistics`, async () => {
      const statement = rotationStatement(
        liveJti,
        userId,
        { jti: `plan-next-${mode}`, ...claims() },
        { ip: "127.0.0.1", userAgent: "plan-test" },
      ).compile(database.db);
      const plan = await explainRolledBack(database.db, statement, mode);
      // The token by its key (the index on its user_id that an earlier plan went through is gone since 20261216100000).
      expect(plan.indexes).toContain("refresh_tokens_pkey");
      // The single join this replaced read about 2,000 pages here (every family, then its token); this reads about 30.
      expect(plan.pages).toBeLessThan(100);
    });
  }

  /**
   * A foreign key's check is a query of its own, run for every row inserted,
   * that locks the row it points to: a refresh inserts two rows and checks
   * none (before 20261216100000_lighter_token_writes, the user twice and the
   * session; before 20261217100000_fast_path_locks, the session).
   */
  it("checks no foreign key for the two rows it writes", async () => {
    const statement = rotationStatement(
      liveJti,
      userId,
      { jti: "plan-written", ...claims() },
      { ip: "127.0.0.1", userAgent: "plan-test" },
    ).compile(database.db);
    const plan = await explainRolledBack(database.db, statement);
    // It rotated (one row answered: the consumed token), and wrote its successor and audit row unchecked.
    expect(plan.rows).toBe(1);
    expect(plan.triggers).toEqual([]);
  });

  it("still rotates: the token is consumed once, and its successor is in the same family", async () => {
    const next = { jti: "plan-successor", ...claims() };
    const first = await rotationStatement(liveJti, userId, next, {}).execute(database.db);
    expect(first.rows).toEqual([
      { family_id: `plan-family-${USERS}`, token_version: 0, amr: "pwd", auth_time: expect.any(Number) },
    ]);
    const again = await rotationStatement(liveJti, userId, { ...next, jti: "plan-other" }, {}).execute(database.db);
    expect(again.rows).toEqual([]);
    const wrongUser = await rotationStatement("plan-successor", userId + 1, { ...next, jti: "plan-x" }, {}).execute(
      database.db,
    );
    expect(wrongUser.rows).toEqual([]);
  });
});

function claims() {
  const iat = Math.floor(Date.now() / 1000);
  return { iat, exp: iat + 86_400 };
}

/**
 * A server's connections live long, and PostgreSQL keeps a prepared
 * statement's generic plan until the tables are analyzed again (with
 * autovacuum off, or behind: never). The plan made at the first refreshes, on
 * nearly empty tables, must stay a few page reads once the user has thousands
 * of tokens and sessions: reached through `user_id`, every refresh read all of
 * them, and `npm run bench`'s S2 cost PostgreSQL 0.9 -> 2.1 ms a refresh over three rounds.
 */
describe("the rotation's plan, cached while the tables were small", () => {
  let fresh: TestDatabase;
  beforeAll(async () => {
    fresh = await createTestDatabase();
  });
  afterAll(() => fresh.close());

  it("still reads a few pages after the user has rotated thousands of times", async () => {
    const { db } = fresh;
    const userId = await userWithSessions(db, "cached", 3);
    await sql`insert into refresh_tokens (jti, user_id, family_id, expires_at)
              select 'cached-' || f, ${userId}, 'cached-family-' || f, now() + interval '1 day'
              from generate_series(1, 3) f`.execute(db);
    const execute = (jti: string, next: string) =>
      rotationStatement(jti, userId, { jti: next, ...claims() }, {}).compile(db);
    // Planned on three tokens and three sessions; then the user's history grows: 2,000 sessions, 20,000 rotated tokens.
    const plan = await explainCachedPlan(
      db,
      execute("cached-1", "cached-1-next"),
      async (connection) => {
        await sql`insert into refresh_families (id, user_id, expires_at)
                    select 'history-family-' || f, ${userId}, now() + interval '30 days'
                    from generate_series(1, 2000) f`.execute(connection);
        await sql`insert into refresh_tokens (jti, user_id, family_id, expires_at, revoked_at, revoke_reason)
                    select 'history-' || t, ${userId}, 'history-family-' || (1 + t % 2000), now() + interval '1 day',
                           now(), 'rotated'
                    from generate_series(1, 20000) t`.execute(connection);
      },
      execute("cached-2", "cached-2-next"),
    );
    expect(plan.indexes).toContain("refresh_tokens_pkey");
    expect(plan.indexes).not.toContain("refresh_families_user_id_idx");
    expect(plan.pages).toBeLessThan(100);
  });
});
