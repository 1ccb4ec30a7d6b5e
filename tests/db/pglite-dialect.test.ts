import { PGlite } from "@electric-sql/pglite";
import { Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PGliteDialect } from "../../server/db/pglite-dialect.js";

interface Db {
  counter: { id: number; value: number };
}

let db: Kysely<Db>;
beforeAll(async () => {
  db = new Kysely<Db>({ dialect: new PGliteDialect(await PGlite.create("memory://")) });
  await sql`create table counter (id int primary key, value int not null); insert into counter values (1, 0)`.execute(
    db,
  );
});
afterAll(() => db.destroy());

describe("the PGlite dialect (one connection shared by Kysely)", () => {
  it("runs concurrent read-modify-write transactions one after another", async () => {
    await Promise.all(
      Array.from({ length: 25 }, () =>
        db.transaction().execute(async (trx) => {
          const { value } = await trx
            .selectFrom("counter")
            .select("value")
            .where("id", "=", 1)
            .executeTakeFirstOrThrow();
          await new Promise((resolve) => setTimeout(resolve, 1));
          await trx
            .updateTable("counter")
            .set({ value: value + 1 })
            .where("id", "=", 1)
            .execute();
        }),
      ),
    );
    const { value } = await db.selectFrom("counter").select("value").where("id", "=", 1).executeTakeFirstOrThrow();
    expect(value).toBe(25);
  });

  it("rolls a failed transaction back and keeps serving", async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.updateTable("counter").set({ value: -1 }).execute();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const { value } = await db.selectFrom("counter").select("value").executeTakeFirstOrThrow();
    expect(value).toBe(25);
  });

  it("reports affected rows and database errors like the pg driver", async () => {
    const result = await db.updateTable("counter").set({ value: 0 }).executeTakeFirst();
    expect(result.numUpdatedRows).toBe(1n);
    await expect(db.insertInto("counter").values({ id: 1, value: 0 }).execute()).rejects.toMatchObject({
      code: "23505",
    });
  });
});
