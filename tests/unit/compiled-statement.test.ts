import { type CompiledQuery, Kysely, PostgresDialect } from "kysely";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { compiledStatement } from "../../server/db/compiled.js";
import type { Executor } from "../../server/db/connect.js";
import type { Database } from "../../server/db/schema.js";

// A Kysely that compiles (no connection is made) and an executor that records what it is asked to run.
const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: {} as pg.Pool }) });
function recorder() {
  const ran: CompiledQuery[] = [];
  const db = {
    ...kysely,
    selectFrom: kysely.selectFrom.bind(kysely),
    executeQuery: async (query: CompiledQuery) => {
      ran.push(query);
      return { rows: [] };
    },
  } as unknown as Executor;
  return { db, ran };
}

const byUser = compiledStatement((db, v: { id: number; name: string | undefined }, shape) => {
  let query = db.selectFrom("users").select("id").where("id", "=", v.id);
  if (v.name !== undefined) query = query.where("username", "=", v.name);
  return shape === "active" ? query.where("is_active", "=", true) : query;
});

describe("a compiled statement", () => {
  it("answers what the builder would, for each shape of its values", async () => {
    const { db, ran } = recorder();
    await byUser(db, { id: 1, name: "ann" });
    await byUser(db, { id: 2, name: undefined });
    await byUser(db, { id: 3, name: "bob" }, "active");
    await byUser(db, { id: 4, name: "cid" });
    const direct = [
      kysely.selectFrom("users").select("id").where("id", "=", 1).where("username", "=", "ann").compile(),
      kysely.selectFrom("users").select("id").where("id", "=", 2).compile(),
      kysely
        .selectFrom("users")
        .select("id")
        .where("id", "=", 3)
        .where("username", "=", "bob")
        .where("is_active", "=", true)
        .compile(),
      kysely.selectFrom("users").select("id").where("id", "=", 4).where("username", "=", "cid").compile(),
    ];
    expect(ran.map(({ sql, parameters }) => ({ sql, parameters }))).toEqual(
      direct.map(({ sql, parameters }) => ({ sql, parameters })),
    );
    // Built once per shape: the same text, not an equal one compiled again.
    expect(ran[3]?.sql).toBe(ran[0]?.sql);
  });

  it("refuses a builder that uses a value other than as a parameter", async () => {
    const { db } = recorder();
    const bad = compiledStatement((db, v: { column: string }) =>
      db
        .selectFrom("users")
        .select("id")
        .where("username", "=", "x")
        .orderBy(v.column === "id" ? "id" : "username"),
    );
    await expect(bad(db, { column: "id" })).rejects.toThrow(/column not bound/);
  });
});
