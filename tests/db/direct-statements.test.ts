import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { compiledStatement } from "../../server/db/compiled.js";
import type { Executor } from "../../server/db/connect.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { countingStatements } from "../helpers/statements.js";

// Compiled statements on the database itself skip Kysely's executor
// (server/db/compiled.ts); in a transaction, or on a copy with plugins, they
// must still go through it, and nothing else about them may change.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

const byName = compiledStatement((db, v: { name: string }) =>
  db.selectFrom("users").select(["id", "username"]).where("username", "=", v.name),
);
const insertUserAs = compiledStatement((db, v: { name: string; email: string }) =>
  db.insertInto("users").values({ username: v.name, email: v.email, password_hash: "x" }).returning("id"),
);
const insertUser = (db: Executor, { name }: { name: string }) =>
  insertUserAs(db, { name, email: `${name}@example.com` });

describe("compiled statements on the database itself", () => {
  it("skip Kysely's executor where the driver runs them itself, and answer the same rows", async () => {
    const [inserted] = await insertUser(database.db, { name: "direct-a" });
    const executeQuery = vi.spyOn(database.db, "executeQuery");
    try {
      expect(await byName(database.db, { name: "direct-a" })).toEqual([{ id: inserted?.id, username: "direct-a" }]);
      expect(await byName(database.db, { name: "nobody" })).toEqual([]);
      // PGlite's driver has no such path: there Kysely runs them.
      expect(executeQuery).toHaveBeenCalledTimes(database.kind === "postgres" ? 0 : 2);
    } finally {
      executeQuery.mockRestore();
    }
  });

  it("hundreds at once, more than the pool holds, each answer their own row", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `direct-many-${i}`);
    await Promise.all(names.map((name) => insertUser(database.db, { name })));
    const lookups = Array.from({ length: 400 }, (_, i) => names[i % names.length] as string);
    const answers = await Promise.all(lookups.map((name) => byName(database.db, { name })));
    expect(answers.map((rows) => rows.map((row) => row.username))).toEqual(lookups.map((name) => [name]));
  });

  it("fail with PostgreSQL's error and give their connection back", async () => {
    await insertUser(database.db, { name: "direct-dup" });
    const attempts = await Promise.allSettled(
      Array.from({ length: 30 }, () => insertUser(database.db, { name: "direct-dup" })),
    );
    expect(attempts.every((attempt) => attempt.status === "rejected")).toBe(true);
    expect(attempts.map((attempt) => (attempt as PromiseRejectedResult).reason.code)).toEqual(Array(30).fill("23505"));
    // Every connection came back: a pool of 5 still serves.
    expect(
      await Promise.all(Array.from({ length: 20 }, () => byName(database.db, { name: "direct-dup" }))),
    ).toHaveLength(20);
  });

  it("inside a transaction run on its connection, and see what it has not committed yet", async () => {
    await database.db
      .transaction()
      .execute(async (trx) => {
        await insertUser(trx, { name: "direct-trx" });
        expect(await byName(trx, { name: "direct-trx" })).toHaveLength(1);
        // (PGlite is one connection, which the transaction holds.)
        if (database.kind === "postgres") expect(await byName(database.db, { name: "direct-trx" })).toHaveLength(0);
        throw new Error("roll back");
      })
      .catch(() => undefined);
    expect(await byName(database.db, { name: "direct-trx" })).toHaveLength(0);
  });

  it("on a copy with plugins go through them", async () => {
    const { db, counter } = countingStatements(database.db);
    await byName(db, { name: "direct-a" });
    await byName(db, { name: "direct-a" });
    expect(counter.statements).toBe(2);
  });
});
