import { type CompiledQuery, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotationStatement } from "../../server/db/repositories/refresh-tokens.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

/**
 * A backend keeps 16 relation locks per transaction in slots of its own; past
 * them, each lock goes through the shared lock table and its partition locks,
 * which every busy backend contends for. The refresh runs on every backend at
 * once, so its statement must stay within the slots: a new index on a table
 * it names, or a foreign key to check, takes it past them (what
 * 20261217100000_fast_path_locks undid).
 */
let database: TestDatabase;
let userId: number;

beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  const user = await sql<{ id: number }>`
    insert into users (username, email, password_hash) values ('locks', 'locks@example.com', 'x') returning id`.execute(
    db,
  );
  userId = (user.rows[0] as { id: number }).id;
  await sql`insert into refresh_families (id, user_id, expires_at) values ('locks-family', ${userId}, now() + interval '1 day')`.execute(
    db,
  );
  await sql`
    insert into refresh_tokens (jti, user_id, family_id, expires_at)
    values ('locks-live', ${userId}, 'locks-family', now() + interval '1 day')`.execute(db);
});
afterAll(() => database.close());

/** The statement's rows, and its transaction's relation locks by where they are kept; rolled back. */
async function locksOf(statement: CompiledQuery) {
  let result: { rows: number; fastPath: string[]; shared: string[] } | undefined;
  await database.db.connection().execute(async (connection) => {
    await sql`begin`.execute(connection);
    try {
      const { rows } = await connection.executeQuery(statement);
      const locks = await sql<{ relation: string; fastpath: boolean }>`
        select relation::regclass::text as relation, fastpath from pg_locks
         where pid = pg_backend_pid() and locktype = 'relation' and relation <> 'pg_locks'::regclass`.execute(
        connection,
      );
      result = {
        rows: rows.length,
        fastPath: locks.rows.filter((lock) => lock.fastpath).map((lock) => lock.relation),
        shared: locks.rows.filter((lock) => !lock.fastpath).map((lock) => lock.relation),
      };
    } finally {
      await sql`rollback`.execute(connection);
    }
  });
  if (!result) throw new Error("no locks read");
  return result;
}

describe("the refresh's statement", () => {
  it("takes every relation lock in the backend's own slots", async () => {
    const iat = Math.floor(Date.now() / 1000);
    const statement = rotationStatement(
      "locks-live",
      userId,
      { jti: "locks-next", iat, exp: iat + 86_400 },
      { ip: "127.0.0.1", userAgent: "locks-test" },
    ).compile(database.db);
    const { rows, fastPath, shared } = await locksOf(statement);
    expect(rows).toBe(1);
    expect(fastPath).toEqual(expect.arrayContaining(["refresh_tokens", "refresh_families", "users", "auth_events"]));
    expect(shared).toEqual([]);
  });
});
