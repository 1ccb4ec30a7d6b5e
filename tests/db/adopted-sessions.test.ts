import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordImport } from "../../server/db/repositories/django-imports.js";
import { deleteDeadSessions } from "../../server/db/repositories/sessions.js";
import { adoptImportedToken } from "../../server/services/imported-sessions.js";
import type { VerifiedToken } from "../../server/services/tokens.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

/**
 * A Django token with no row here is adopted: a session of its own and the
 * token's row. The pruner deletes sessions with no token, and no foreign key
 * refuses a token whose session is gone (20261217100000_fast_path_locks), so
 * the two are written in one statement: here dozens of adoptions race the
 * pruner, and every token adopted has its session.
 */
let database: TestDatabase;
let userId: number;

beforeAll(async () => {
  database = await createTestDatabase();
  const user = await sql<{ id: number }>`
    insert into users (username, email, password_hash) values ('adopted', 'adopted@example.com', 'x') returning id`.execute(
    database.db,
  );
  userId = (user.rows[0] as { id: number }).id;
  await recordImport(database.db, { source: "test", startedAt: new Date(), summary: {} });
});
afterAll(() => database.close());

const djangoToken = (i: number): VerifiedToken => {
  const iat = Math.floor(Date.now() / 1000) - 60;
  return {
    tokenType: "refresh",
    jti: `adopted${String(i).padStart(25, "0")}`,
    iat,
    exp: iat + 86_400,
    userId,
    sid: undefined,
    ver: 0,
    amr: undefined,
    authTime: undefined,
  };
};

describe("adopting a Django token", () => {
  it("writes the session and the token together: of 200 adoptions racing the pruner, none loses its session", async () => {
    const client = { ip: "127.0.0.1", userAgent: "adopt-test" };
    const tokens = Array.from({ length: 200 }, (_, i) => djangoToken(i));
    let adopting = true;
    let prunes = 0;
    // Pruners that run for as long as adoptions are in flight, so that some run between any two statements.
    const pruner = async () => {
      while (adopting) {
        await deleteDeadSessions(database.db, 5_000);
        prunes += 1;
      }
    };
    const pruners = Array.from({ length: 3 }, pruner);
    const adopted = await Promise.all(
      tokens.map((token) => adoptImportedToken(database.db, token, client, 86_400 * 30)),
    ).finally(() => {
      adopting = false;
    });
    await Promise.all(pruners);
    expect(prunes).toBeGreaterThan(3);
    expect(adopted).toEqual(tokens.map(() => true));
    const { rows } = await sql<{ jti: string; session: string | null }>`
      select t.jti, f.id as session from refresh_tokens t left join refresh_families f on f.id = t.family_id
       where t.jti like 'adopted%'`.execute(database.db);
    expect(rows).toHaveLength(tokens.length);
    expect(rows.filter((row) => row.session === null)).toEqual([]);
    // Adopting again records nothing: the session is there.
    expect(await adoptImportedToken(database.db, tokens[0] as VerifiedToken, client, 86_400 * 30)).toBe(false);
  });
});
