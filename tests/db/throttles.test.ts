import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { takeHits } from "../../server/db/repositories/throttles.js";
import { takeAttempt } from "../../server/services/throttle.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { countingStatements } from "../helpers/statements.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

const limit = { limit: 5, windowSeconds: 600 };
const hitsOf = async (key: string) =>
  (await database.db.selectFrom("throttles").select("hits").where("key", "=", key).executeTakeFirst())?.hits;

describe("a successful attempt settles its counters", () => {
  it("in one statement: the account's counter goes, the IP's hit is given back, others' hits stay", async () => {
    const [account, ip] = ["settle:account", "settle:ip"];
    // Hits of other attempts already on the IP's counter.
    await takeHits(database.db, [{ key: ip, maxHits: 5, windowSeconds: 600 }]);
    await takeHits(database.db, [{ key: ip, maxHits: 5, windowSeconds: 600 }]);
    const { db, counter } = countingStatements(database.db);
    const attempt = await takeAttempt(db, [
      { key: account, limit, onSuccess: "reset" },
      { key: ip, limit, onSuccess: "return" },
    ]);
    expect([await hitsOf(account), await hitsOf(ip)]).toEqual([1, 3]);
    counter.statements = 0;
    await attempt.succeeded();
    expect(counter.statements).toBe(1);
    expect([await hitsOf(account), await hitsOf(ip)]).toEqual([undefined, 2]);
  });

  it("gives nothing back to a window that ended after the hit was taken", async () => {
    const ip = "settle:ended";
    const attempt = await takeAttempt(database.db, [{ key: ip, limit, onSuccess: "return" }]);
    // A new window began meanwhile (the old one ran out), with a hit of its own.
    await database.db
      .updateTable("throttles")
      .set({ window_started_at: new Date(Date.now() + 1000), hits: 1 })
      .where("key", "=", ip)
      .execute();
    await attempt.succeeded();
    expect(await hitsOf(ip)).toBe(1);
  });

  it("many at once on the same two counters: none waits on another in a cycle, every hit comes back", async () => {
    const [account, ip] = ["settle:parallel-account", "settle:parallel-ip"];
    const big = { limit: 1000, windowSeconds: 600 };
    const attempts = await Promise.all(
      Array.from({ length: 40 }, () =>
        takeAttempt(database.db, [
          { key: account, limit: big, onSuccess: "reset" },
          { key: ip, limit: big, onSuccess: "return" },
        ]),
      ),
    );
    expect(await hitsOf(ip)).toBe(40);
    await Promise.all(attempts.map((attempt) => attempt.succeeded()));
    expect([await hitsOf(account), await hitsOf(ip)]).toEqual([undefined, 0]);
  });
});
