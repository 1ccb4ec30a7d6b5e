import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Executor } from "../../server/db/connect.js";
import { clearKeys, returnHits, takeHits } from "../../server/db/repositories/throttles.js";
import { takeHitsFindingLoginUser } from "../../server/db/repositories/users.js";
import { takeAttempt } from "../../server/services/throttle.js";
import { createTestDatabase, preparedStatements, type TestDatabase } from "../helpers/database.js";
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

describe("counters taken and settled at once", () => {
  it("never wait on each other in a cycle: takes and settles of the same counters, interleaved, all finish", async () => {
    // As in a login: the account's key sorts before the IP's; takes lock in key order.
    const [account, ip] = ["interleave:a-account", "interleave:b-ip"];
    const big = { limit: 100_000, windowSeconds: 600 };
    const counters = [
      { key: account, limit: big, onSuccess: "reset" as const },
      { key: ip, limit: big, onSuccess: "return" as const },
    ];
    for (let round = 0; round < 20; round += 1) {
      const first = await Promise.all(Array.from({ length: 20 }, () => takeAttempt(database.db, counters)));
      await Promise.all([
        ...first.map((attempt) => attempt.succeeded()),
        ...Array.from({ length: 20 }, () => takeAttempt(database.db, counters).then((attempt) => attempt.succeeded())),
      ]);
    }
    expect(await hitsOf(ip)).toBe(0);
  });
});

describe("a counter's own commit", () => {
  const loginRule = { key: "commit:login", maxHits: 5, windowSeconds: 60 };

  /**
   * `synchronous_commit` as the statement leaves it in its transaction: a
   * transaction begun by hand on a single connection, which Kysely does not
   * know is one, stands for the statement's own.
   */
  async function settingAfter(statement: (db: Executor) => Promise<unknown>) {
    const single = database.url
      ? await connectDatabase({
          url: database.url,
          pgliteDir: "",
          poolSize: 1,
          preparedStatements: preparedStatements(),
        })
      : database;
    try {
      await sql`begin`.execute(single.db);
      await statement(single.db);
      const { rows } = await sql<{ value: string }>`select current_setting('synchronous_commit') as value`.execute(
        single.db,
      );
      await sql`rollback`.execute(single.db);
      return rows[0]?.value;
    } finally {
      if (single !== database) await single.close();
    }
  }

  it("does not wait for the disk: taking, giving back and clearing, whatever they find", async () => {
    expect(await settingAfter((db) => takeHits(db, [{ key: "commit:take", maxHits: 5, windowSeconds: 60 }]))).toBe(
      "off",
    );
    expect(await settingAfter((db) => clearKeys(db, ["commit:nothing-there"]))).toBe("off");
    // A login's take, which reads the user in the same statement, after the transaction's shape was compiled first.
    expect(await settingAfter((db) => takeHitsFindingLoginUser(db, [loginRule], "nobody"))).toBe("off");
    expect(await settingAfter((db) => returnHits(db, [{ key: "commit:nothing-there", window: "2000-01-01" }]))).toBe(
      "off",
    );
    // Only for that transaction.
    expect(await settingAfter(async () => undefined)).toBe("on");
  });

  it("inside a caller's transaction leaves the caller's commit as it is", async () => {
    const setting = await database.db.transaction().execute(async (trx) => {
      await takeHits(trx, [{ key: "commit:in-transaction", maxHits: 5, windowSeconds: 60 }]);
      await takeHitsFindingLoginUser(trx, [loginRule], "nobody");
      await clearKeys(trx, ["commit:in-transaction"]);
      const { rows } = await sql<{ value: string }>`select current_setting('synchronous_commit') as value`.execute(trx);
      return rows[0]?.value;
    });
    expect(setting).toBe("on");
  });
});
