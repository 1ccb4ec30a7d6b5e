import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db
    .insertInto("users")
    .values([
      { username: "prep-a", email: "prep-a@example.com", password_hash: "x" },
      { username: "prep-b", email: "prep-b@example.com", password_hash: "x" },
    ])
    .execute();
});
afterAll(() => database.close());

const byName = (name: string) =>
  database.db.selectFrom("users").select(["username", "email"]).where("username", "=", name).executeTakeFirst();

describe("statements", () => {
  it("answer each call with its own parameters, however often the same statement runs", async () => {
    for (let round = 0; round < 3; round += 1) {
      expect(await byName("prep-a")).toEqual({ username: "prep-a", email: "prep-a@example.com" });
      expect(await byName("prep-b")).toEqual({ username: "prep-b", email: "prep-b@example.com" });
      expect(await byName("nobody")).toBeUndefined();
    }
  });

  // Prepared statements belong to a PostgreSQL session, seen through pg_prepared_statements on
  // that connection; embedded PGlite runs queries as given. CI runs the suite on both.
  if (process.env.DATABASE_URL) {
    it("are prepared once per connection on PostgreSQL, parameterized ones only", async () => {
      await database.db.transaction().execute(async (trx) => {
        const lookup = trx.selectFrom("users").select("id").where("username", "=", "prep-a");
        const text = lookup.compile().sql;
        await lookup.execute();
        await lookup.execute();
        await sql`select 1`.execute(trx);
        const { rows } = await sql<{ statement: string; calls: number }>`
          select statement, generic_plans + custom_plans as calls from pg_prepared_statements
          where statement = ${text} or statement = 'select 1'`.execute(trx);
        expect(rows).toEqual([{ statement: text, calls: 2 }]);
      });
    });
  }
});
