import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type DatabaseHandle } from "../../server/db/connect.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

// What DATABASE_PREPARED_STATEMENTS is for. Runs only in the CI job that puts
// PgBouncer in transaction pooling mode between the suite and PostgreSQL
// (.ci/with-pgbouncer sets TEST_POOLER_URL; see vitest.config.ts).

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db
    .insertInto("users")
    .values({ username: "pooled", email: "pooled@example.com", password_hash: "x" })
    .execute();
});
afterAll(() => database.close());

const connect = (preparedStatements: boolean) =>
  connectDatabase({ url: database.url, pgliteDir: "", poolSize: 2, preparedStatements });

const lookup = (handle: DatabaseHandle) =>
  handle.db.selectFrom("users").select("username").where("username", "=", "pooled").executeTakeFirst();

describe("behind PgBouncer in transaction pooling mode", () => {
  it("named statements break: a statement prepared on one server connection is already there for the next client", async () => {
    const first = await connect(true);
    const second = await connect(true);
    try {
      expect(await lookup(first)).toEqual({ username: "pooled" });
      // The server connection `first` used goes back to the pool and is handed to `second`.
      await expect(lookup(second)).rejects.toThrow(/prepared statement "s[0-9a-f]+" already exists/);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("with DATABASE_PREPARED_STATEMENTS=false, dozens of parallel statements and transactions all succeed", async () => {
    const handles = await Promise.all(Array.from({ length: 4 }, () => connect(false)));
    try {
      const work = handles.flatMap((handle) =>
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0
            ? lookup(handle)
            : handle.db.transaction().execute(async (trx) => {
                const row = await trx
                  .selectFrom("users")
                  .select("username")
                  .where("username", "=", "pooled")
                  .forUpdate()
                  .executeTakeFirst();
                await trx
                  .updateTable("users")
                  .set((eb) => ({ last_name: eb("last_name", "||", "x") }))
                  .where("username", "=", "pooled")
                  .execute();
                return row;
              }),
        ),
      );
      expect(await Promise.all(work)).toEqual(work.map(() => ({ username: "pooled" })));
      const row = await database.db
        .selectFrom("users")
        .select("last_name")
        .where("username", "=", "pooled")
        .executeTakeFirstOrThrow();
      expect(row.last_name).toBe("x".repeat(20));
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
    }
  });
});
