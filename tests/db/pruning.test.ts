import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase } from "../../server/db/connect.js";
import { createPruner, PRUNE_LOCK_KEY, pruneAll, pruneBatch } from "../../server/services/pruning.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { capturedLogger } from "../helpers/logs.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
const ahead = (seconds: number) => new Date(Date.now() + seconds * 1000);
const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

let nextUser = 0;
async function newUser(): Promise<number> {
  nextUser += 1;
  const row = await database.db
    .insertInto("users")
    .values({ username: `prune-${nextUser}`, email: `prune-${nextUser}@example.com`, password_hash: "x" })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** One of every kind of row, expired (or otherwise dead) and alive; returns what must survive. */
async function seedEverything(tag: string) {
  const db = database.db;
  const [a, b, c] = [await newUser(), await newUser(), await newUser()];
  await db
    .insertInto("refresh_families")
    .values([
      { id: `${tag}-live`, user_id: a, expires_at: ahead(86_400) },
      { id: `${tag}-over`, user_id: a, expires_at: ago(60) },
      { id: `${tag}-spent`, user_id: a, expires_at: ago(60) },
    ])
    .execute();
  await db
    .insertInto("refresh_tokens")
    .values([
      // A rotated (revoked) token that has not expired stays: presenting it again is reuse.
      { jti: `${tag}-rotated`, user_id: a, family_id: `${tag}-live`, expires_at: ahead(3600), revoked_at: ago(10) },
      { jti: `${tag}-current`, user_id: a, family_id: `${tag}-live`, expires_at: ahead(3600) },
      { jti: `${tag}-expired`, user_id: a, family_id: `${tag}-live`, expires_at: ago(1), revoked_at: ago(100) },
      // A session past its lifetime keeps a token that still verifies (its row ended with the session):
      // pruned, it could be presented again as a token never seen.
      { jti: `${tag}-in-over`, user_id: a, family_id: `${tag}-over`, expires_at: ago(60), exp: epoch(ahead(3600)) },
      // Its session goes once the last of its tokens can no longer verify.
      { jti: `${tag}-in-spent`, user_id: a, family_id: `${tag}-spent`, expires_at: ago(60), exp: epoch(ago(1)) },
    ])
    .execute();
  const hash = (n: number) => new Uint8Array([n, ...tag.split("").map((ch) => ch.charCodeAt(0))]);
  await db
    .insertInto("otp_codes")
    .values([
      { user_id: a, code_hash: hash(1), expires_at: ahead(300) },
      { user_id: b, code_hash: hash(2), expires_at: ago(1) },
      { user_id: c, code_hash: hash(3), expires_at: ahead(300), failed_attempts: 5 },
    ])
    .execute();
  await db
    .insertInto("password_reset_tokens")
    .values([
      { token_hash: hash(4), user_id: a, expires_at: ahead(900) },
      { token_hash: hash(5), user_id: b, expires_at: ago(1) },
    ])
    .execute();
  await db
    .insertInto("throttles")
    .values([
      { key: `${tag}:fresh`, window_started_at: ago(30), window_seconds: 60, max_hits: 10, hits: 3 },
      { key: `${tag}:stale`, window_started_at: ago(2 * 86_400), window_seconds: 60, max_hits: 10, hits: 3 },
      { key: `${tag}:long`, window_started_at: ago(20 * 3600), window_seconds: 3600, max_hits: 3, hits: 3 },
    ])
    .execute();
  const mail = (subject: string, status: "pending" | "sent" | "dead", sentSecondsAgo?: number) => ({
    kind: "test",
    to_address: "x@example.com",
    subject: `${tag} ${subject}`,
    status,
    created_at: ago(30 * 86_400),
    sent_at: sentSecondsAgo === undefined ? null : ago(sentSecondsAgo),
  });
  await db
    .insertInto("outbox_mails")
    .values([
      mail("old sent", "sent", 8 * 86_400),
      mail("new sent", "sent", 86_400),
      mail("pending", "pending"),
      mail("dead", "dead"),
    ])
    .execute();
  return {
    tokens: [`${tag}-rotated`, `${tag}-in-over`, `${tag}-current`],
    families: [`${tag}-live`, `${tag}-over`],
    otpUsers: [a],
    throttles: [`${tag}:fresh`, `${tag}:long`],
    mail: [`${tag} dead`, `${tag} new sent`, `${tag} pending`],
    users: [a, b, c],
  };
}

async function leftOf(tag: string, users: number[]) {
  const db = database.db;
  const like = `${tag}%`;
  return {
    tokens: (
      await db.selectFrom("refresh_tokens").select("jti").where("jti", "like", like).orderBy("jti", "desc").execute()
    ).map((r) => r.jti),
    families: (
      await db.selectFrom("refresh_families").select("id").where("id", "like", like).orderBy("id").execute()
    ).map((r) => r.id),
    otpUsers: (await db.selectFrom("otp_codes").select("user_id").where("user_id", "in", users).execute()).map(
      (r) => r.user_id,
    ),
    resets: (
      await db.selectFrom("password_reset_tokens").select("user_id").where("user_id", "in", users).execute()
    ).map((r) => r.user_id),
    throttles: (await db.selectFrom("throttles").select("key").where("key", "like", like).orderBy("key").execute()).map(
      (r) => r.key,
    ),
    mail: (
      await db.selectFrom("outbox_mails").select("subject").where("subject", "like", like).orderBy("subject").execute()
    ).map((r) => r.subject),
  };
}

describe("pruning", () => {
  it("deletes what can never be used again, and nothing else", async () => {
    const kept = await seedEverything("p1");
    const pruned = await pruneAll(database.db);
    expect(pruned).toEqual({
      refreshTokens: 2,
      sessions: 1,
      otpCodes: 2,
      resetTokens: 1,
      throttles: 1,
      sentMail: 1,
      strongAuth: 0,
      adminSessions: 0,
    });
    const left = await leftOf("p1", kept.users);
    expect(left).toEqual({
      tokens: kept.tokens,
      families: kept.families,
      otpUsers: kept.otpUsers,
      resets: [kept.users[0]],
      throttles: kept.throttles,
      mail: kept.mail,
    });
    // A second pass finds nothing.
    expect(await pruneAll(database.db)).toEqual({
      refreshTokens: 0,
      sessions: 0,
      otpCodes: 0,
      resetTokens: 0,
      throttles: 0,
      sentMail: 0,
      strongAuth: 0,
      adminSessions: 0,
    });
  });

  it("works in bounded batches until nothing is left", async () => {
    const user = await newUser();
    await database.db
      .insertInto("refresh_families")
      .values({ id: "b-family", user_id: user, expires_at: ahead(86_400) })
      .execute();
    await sql`insert into refresh_tokens (jti, user_id, family_id, expires_at)
              select 'b-' || n, ${user}, 'b-family', now() - interval '1 minute' from generate_series(1, 25) n`.execute(
      database.db,
    );
    expect((await pruneBatch(database.db, 10))?.refreshTokens).toBe(10);
    const rest = await pruneAll(database.db, { limit: 10 });
    // 15 tokens in two batches; then the family, empty now, goes too.
    expect(rest).toMatchObject({ refreshTokens: 15, sessions: 1 });
    expect(await database.db.selectFrom("refresh_tokens").select("jti").where("jti", "like", "b-%").execute()).toEqual(
      [],
    );
  });

  it("runs in the background on the configured interval, and logs what it did", async () => {
    const kept = await seedEverything("p2");
    const logs = capturedLogger();
    const entries = () => logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const pruner = createPruner(database.db, logs.log, 0.05);
    pruner.start();
    const deadline = Date.now() + 10_000;
    while (!entries().some((line) => line.msg === "pruned expired rows") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await pruner.stop();
    expect(entries().find((line) => line.msg === "pruned expired rows")?.pruned).toEqual({
      refreshTokens: 2,
      sessions: 1,
      otpCodes: 2,
      resetTokens: 1,
      throttles: 1,
      sentMail: 1,
      strongAuth: 0,
      adminSessions: 0,
    });
    expect((await leftOf("p2", kept.users)).tokens).toEqual(kept.tokens);
  });

  it("waits at least half the interval before its first pass, however long the interval", async () => {
    const kept = await seedEverything("p4");
    const logs = capturedLogger();
    // Ten years: past setTimeout's limit (about 24.8 days), where Node would fire at once.
    const pruner = createPruner(database.db, logs.log, 10 * 365 * 86_400);
    pruner.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pruner.stop();
    expect(logs.lines).toEqual([]);
    expect((await leftOf("p4", kept.users)).tokens).toHaveLength(5);
  });

  // Exclusion needs a second connection to the same database, which only PostgreSQL has
  // (embedded PGlite is one connection in one process); CI runs the suite on both.
  if (process.env.DATABASE_URL) {
    it("lets one process prune at a time", async () => {
      const other = await connectDatabase({ url: database.url, pgliteDir: "" });
      try {
        const kept = await seedEverything("p3");
        let release: () => void = () => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        let locked: () => void = () => {};
        const hasLock = new Promise<void>((resolve) => (locked = resolve));
        const holder = other.db.transaction().execute(async (trx) => {
          await sql`select pg_advisory_xact_lock(${PRUNE_LOCK_KEY})`.execute(trx);
          locked();
          await held;
        });
        await hasLock;
        expect(await pruneBatch(database.db)).toBeUndefined();
        expect(await pruneAll(database.db)).toBeUndefined();
        expect((await leftOf("p3", kept.users)).tokens).toHaveLength(5);
        release();
        await holder;
        expect(await pruneAll(database.db)).toBeDefined();
        expect((await leftOf("p3", kept.users)).tokens).toEqual(kept.tokens);
      } finally {
        await other.close();
      }
    });
  }
});
