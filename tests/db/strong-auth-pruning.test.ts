import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneAll } from "../../server/services/pruning.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
const ahead = (seconds: number) => new Date(Date.now() + seconds * 1000);
const bytes = (value: number) => new Uint8Array(32).fill(value);

describe("pruning strong authentication's rows", () => {
  it("deletes expired challenges and links and unconfirmed enrolments past their window, and nothing else", async () => {
    const db = database.db;
    const users = await db
      .insertInto("users")
      .values([1, 2, 3].map((n) => ({ username: `sa-${n}`, email: `sa-${n}@example.com`, password_hash: "x" })))
      .returning("id")
      .execute();
    const [a, b, c] = users.map((row) => row.id) as [number, number, number];
    await db
      .insertInto("webauthn_challenges")
      .values([
        { challenge_hash: bytes(1), purpose: "login", user_id: null, expires_at: ago(1) },
        { challenge_hash: bytes(2), purpose: "register", user_id: a, expires_at: ahead(300) },
      ])
      .execute();
    await db
      .insertInto("email_tokens")
      .values([
        { token_hash: bytes(3), user_id: a, purpose: "signup", email: "sa-1@example.com", expires_at: ago(1) },
        { token_hash: bytes(4), user_id: b, purpose: "change", email: "new@example.com", expires_at: ahead(60) },
      ])
      .execute();
    await db
      .insertInto("totp_credentials")
      .values([
        { user_id: a, sealed_secret: bytes(5), created_at: ago(601) },
        { user_id: b, sealed_secret: bytes(6), created_at: ago(60) },
        { user_id: c, sealed_secret: bytes(7), created_at: ago(86_400), confirmed_at: ago(86_000) },
      ])
      .execute();

    expect((await pruneAll(db))?.strongAuth).toBe(3);
    const left = {
      challenges: await db.selectFrom("webauthn_challenges").select("purpose").execute(),
      links: await db.selectFrom("email_tokens").select("user_id").execute(),
      totp: await db.selectFrom("totp_credentials").select("user_id").orderBy("user_id").execute(),
    };
    expect(left).toEqual({
      challenges: [{ purpose: "register" }],
      links: [{ user_id: b }],
      totp: [{ user_id: b }, { user_id: c }],
    });
    expect((await pruneAll(db))?.strongAuth).toBe(0);
  });
});
