import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settleStatement, takeHits } from "../../server/db/repositories/throttles.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { explainCachedPlan } from "../helpers/plans.js";

/**
 * Every successful login settles its counters (the account's goes, the IP's
 * hit is given back). A server's connection prepares that statement once and
 * keeps its generic plan while the table grows: a counter for every username
 * an attacker guesses at, and for every IP. Planned on 2,000 counters, it must
 * still read a few pages once there are 20,000 more.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

const rule = (key: string) => ({ key, maxHits: 5, windowSeconds: 600 });

describe("a login's settle, planned while the counters were few", () => {
  it("reads a few pages after 20,000 more counters, not every counter", async () => {
    const { db } = database;
    const settle = async (n: number) => {
      const [account, ip] = [`plan:account:${n}`, `plan:ip:${n}`];
      const taken = await takeHits(db, [rule(account), rule(ip)]);
      return settleStatement(
        db,
        [account],
        taken.filter((hit) => hit.key === ip),
      ).compile(db);
    };
    await sql`insert into throttles (key, window_started_at, window_seconds, max_hits, hits)
              select 'plan:before:' || i, now(), 600, 5, 1 from generate_series(1, 2000) i`.execute(db);
    await sql`analyze throttles`.execute(db);
    const [first, second] = [await settle(1), await settle(2)];
    const plan = await explainCachedPlan(
      db,
      first,
      async (connection) => {
        await sql`insert into throttles (key, window_started_at, window_seconds, max_hits, hits)
                  select 'plan:guess:' || i, now(), 600, 5, 1 from generate_series(1, 20000) i`.execute(connection);
      },
      second,
    );
    // Scanning the counters read 218 pages here (the lock, the update and the delete each scanned them); by their keys, 25.
    expect(plan.subplanPages).toBeLessThan(40);
    expect(plan.indexes).toContain("throttles_pkey");
  });
});
