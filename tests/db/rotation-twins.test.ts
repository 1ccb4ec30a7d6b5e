import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findTokenState, rotatable, rotate } from "../../server/db/repositories/refresh-tokens.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

// The refresh hot path is one statement (rotationStatement); when it refuses,
// the slow path reads the token's state and says why. Both must agree on which
// states rotate: every combination of the conditions is built here, fed to the
// statement (in a transaction rolled back) and to `rotatable`, its TypeScript twin.

let database: TestDatabase;
let ownerId: number;
let otherId: number;

beforeAll(async () => {
  database = await createTestDatabase();
  const { rows } = await sql<{ id: number }>`
    insert into users (username, email, password_hash)
    values ('twin-owner', 'twin-owner@example.com', 'x'), ('twin-other', 'twin-other@example.com', 'x')
    returning id`.execute(database.db);
  [ownerId, otherId] = rows.map((row) => row.id) as [number, number];
});
afterAll(() => database.close());

interface Case {
  token: "live" | "rotated" | "revoked";
  rowExpired: boolean;
  sessionRevoked: boolean;
  sessionExpired: boolean;
  userInactive: boolean;
  presentedByOther: boolean;
}

const cases: Case[] = [];
for (const token of ["live", "rotated", "revoked"] as const)
  for (const rowExpired of [false, true])
    for (const sessionRevoked of [false, true])
      for (const sessionExpired of [false, true])
        for (const userInactive of [false, true])
          for (const presentedByOther of [false, true])
            cases.push({ token, rowExpired, sessionRevoked, sessionExpired, userInactive, presentedByOther });

class Rollback extends Error {}

describe("the rotation statement and its TypeScript twin", () => {
  it(`agree on all ${cases.length} combinations of the token's, the session's and the user's state`, async () => {
    const answers: string[] = [];
    const expected: string[] = [];
    for (const [n, state] of cases.entries()) {
      const name = JSON.stringify(state);
      await database.db
        .transaction()
        .execute(async (trx) => {
          const family = `twin-family-${n}`;
          const jti = `twin-token-${n}`;
          await sql`update users set is_active = ${!state.userInactive} where id = ${ownerId}`.execute(trx);
          await sql`
            insert into refresh_families (id, user_id, expires_at, revoked_at, revoke_reason)
            values (${family}, ${ownerId},
                    now() + ${state.sessionExpired ? sql`interval '-1 minute'` : sql`interval '1 day'`},
                    ${state.sessionRevoked ? sql`now()` : null}, ${state.sessionRevoked ? "revoked" : null})`.execute(
            trx,
          );
          await sql`
            insert into refresh_tokens (jti, user_id, family_id, expires_at, revoked_at, revoke_reason)
            values (${jti}, ${ownerId}, ${family},
                    now() + ${state.rowExpired ? sql`interval '-1 minute'` : sql`interval '1 day'`},
                    ${state.token === "live" ? null : sql`now()`}, ${state.token === "live" ? null : state.token})`.execute(
            trx,
          );
          const presenter = state.presentedByOther ? otherId : ownerId;
          const found = await findTokenState(trx, jti);
          if (!found) throw new Error(`no state for ${name}`);
          expected.push(`${name}: ${rotatable(found, presenter)}`);
          const next = { jti: `twin-next-${n}`, iat: 1_800_000_000, exp: 1_900_000_000 };
          const rotated = await rotate(trx, jti, presenter, next, { ip: "127.0.0.1" });
          answers.push(`${name}: ${rotated !== undefined}`);
          throw new Rollback();
        })
        .catch((error: unknown) => {
          if (!(error instanceof Rollback)) throw error;
        });
    }
    expect(answers).toEqual(expected);
    // The rule lets exactly one combination through: a live token, row, session and user, presented by its owner.
    expect(answers.filter((answer) => answer.endsWith("true"))).toHaveLength(1);
  });
});
