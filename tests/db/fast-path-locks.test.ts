import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Executor } from "../../server/db/connect.js";
import { rotationStatement } from "../../server/db/repositories/refresh-tokens.js";
import { insertTask, listTasks } from "../../server/db/repositories/tasks.js";
import { findAcceptedProfile, isTokenAccepted, takeHitsFindingLoginUser } from "../../server/db/repositories/users.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

/**
 * A backend keeps 16 relation locks per transaction in slots of its own; past
 * them, each lock goes through the shared lock table and its partition locks,
 * which every busy backend contends for. A statement locks each table it
 * names and every index of those tables. The hot statements run on every
 * backend at once, so they must stay within the slots: a new index on a table
 * they name, or a foreign key to check, can take one past them (the refresh's
 * rotation was, until 20261217100000_fast_path_locks).
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

/** What `work` answered, and its transaction's relation locks by where they are kept; rolled back. */
async function locksOf<T>(work: (db: Executor) => Promise<T>) {
  let result: { answer: T; fastPath: string[]; shared: string[] } | undefined;
  await database.db.connection().execute(async (connection) => {
    await sql`begin`.execute(connection);
    try {
      const answer = await work(connection);
      const locks = await sql<{ relation: string; fastpath: boolean }>`
        select relation::regclass::text as relation, fastpath from pg_locks
         where pid = pg_backend_pid() and locktype = 'relation' and relation <> 'pg_locks'::regclass`.execute(
        connection,
      );
      result = {
        answer,
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

describe("the hot statements", () => {
  it("a refresh's rotation takes every relation lock in the backend's own slots", async () => {
    const iat = Math.floor(Date.now() / 1000);
    const statement = rotationStatement(
      "locks-live",
      userId,
      { jti: "locks-next", iat, exp: iat + 86_400 },
      { ip: "127.0.0.1", userAgent: "locks-test" },
    ).compile(database.db);
    const { answer, fastPath, shared } = await locksOf(async (db) => (await db.executeQuery(statement)).rows.length);
    expect(answer).toBe(1);
    expect(fastPath).toEqual(expect.arrayContaining(["refresh_tokens", "refresh_families", "users", "auth_events"]));
    expect(shared).toEqual([]);
  });

  // The statements every request of the other scenarios runs. (A login's session statement is left
  // out: it checks the session's key to its user with the slots full, four shared locks next to a
  // password hash's 13 ms.)
  const claims = () => ({ userId, version: 0, sid: "locks-family" });
  const hot: Record<string, (db: Executor) => Promise<unknown>> = {
    "a login's take, with its user read": (db) =>
      takeHitsFindingLoginUser(
        db,
        [
          { key: "locks:account", maxHits: 5, windowSeconds: 60 },
          { key: "locks:ip", maxHits: 5, windowSeconds: 60 },
        ],
        "locks",
      ),
    "the profile": (db) => findAcceptedProfile(db, claims()),
    "verify's check": (db) => isTokenAccepted(db, claims()),
    "the task list": (db) => listTasks(db, { userId, token: claims() }, {}, []),
    "a task's creation": (db) =>
      insertTask(db, { userId, token: claims() }, { title: "locks", description: "", isCompleted: false }),
  };
  for (const [name, work] of Object.entries(hot)) {
    it(`so does ${name}`, async () => {
      const { answer, shared } = await locksOf(work);
      expect(answer).toBeTruthy();
      expect(shared).toEqual([]);
    });
  }
});
