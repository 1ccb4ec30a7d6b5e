import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type DatabaseHandle } from "../../server/db/connect.js";
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

const byName = (handle: DatabaseHandle, name: string) =>
  handle.db.selectFrom("users").select(["username", "email"]).where("username", "=", name).executeTakeFirst();

/**
 * The statements prepared on the connection of one transaction, after running
 * a lookup twice and a parameterless one. (Each test looks up its own column:
 * behind a pooler, the server connection may be one that another test used.)
 */
async function preparedBy(handle: DatabaseHandle, column: "id" | "email") {
  return handle.db.transaction().execute(async (trx) => {
    const lookup = trx.selectFrom("users").select(column).where("username", "=", "prep-a");
    const text = lookup.compile().sql;
    await lookup.execute();
    await lookup.execute();
    await sql`select 1`.execute(trx);
    const { rows } = await sql<{ statement: string; calls: number }>`
      select statement, generic_plans + custom_plans as calls from pg_prepared_statements
      where statement = ${text} or statement = 'select 1'`.execute(trx);
    return { rows, text };
  });
}

describe("statements", () => {
  it("answer each call with its own parameters, however often the same statement runs", async () => {
    for (let round = 0; round < 3; round += 1) {
      expect(await byName(database, "prep-a")).toEqual({ username: "prep-a", email: "prep-a@example.com" });
      expect(await byName(database, "prep-b")).toEqual({ username: "prep-b", email: "prep-b@example.com" });
      expect(await byName(database, "nobody")).toBeUndefined();
    }
  });

  // Prepared statements belong to a PostgreSQL session, seen through pg_prepared_statements on
  // that connection; embedded PGlite runs queries as given. CI runs the suite on both.
  if (process.env.DATABASE_URL) {
    const connect = (preparedStatements: boolean) =>
      connectDatabase({ url: database.url, pgliteDir: "", poolSize: 1, preparedStatements });

    it("are prepared once per connection on PostgreSQL, parameterized ones only", async () => {
      const handle = await connect(true);
      try {
        const { rows, text } = await preparedBy(handle, "id");
        expect(rows).toEqual([{ statement: text, calls: 2 }]);
      } finally {
        await handle.close();
      }
    });

    it("with DATABASE_PREPARED_STATEMENTS=false, go unnamed: nothing is prepared, the answers are the same", async () => {
      const handle = await connect(false);
      try {
        expect((await preparedBy(handle, "email")).rows).toEqual([]);
        expect(await byName(handle, "prep-b")).toEqual({ username: "prep-b", email: "prep-b@example.com" });
        const renamed = await handle.db
          .updateTable("users")
          .set({ first_name: "B" })
          .where("username", "in", ["prep-a", "prep-b"])
          .executeTakeFirst();
        expect(renamed.numUpdatedRows).toBe(2n);
      } finally {
        await handle.close();
      }
    });
  }
});
