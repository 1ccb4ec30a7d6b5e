import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/run.js";
import { fastHasher, startTestApp, type TestApp, testConfig } from "../helpers/app.js";
import { scriptedIO } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import {
  DJANGO_SIGNING_KEY,
  type DjangoSource,
  djangoSourceDatabase,
  djangoTokens,
  djangoUsers,
  fixturePath,
} from "../helpers/django.js";
import { http } from "../helpers/http.js";
import { mint } from "../helpers/tokens.js";
import { newAccount } from "../helpers/users.js";

// A replayed token is refused at once here, as on the Django service (no reuse interval).
const env = { JWT_SIGNING_KEY: DJANGO_SIGNING_KEY, REFRESH_TOKEN_REUSE_INTERVAL: "0" };
let source: DjangoSource;
let target: TestDatabase;
let app: TestApp;

async function importFrom(database: TestDatabase, from: string, ...flags: string[]) {
  const { io, out, err } = scriptedIO();
  const code = await runCli(["import-django", "--from", from, ...flags], {
    io,
    loadConfig: () => testConfig(env),
    database,
    hasher: fastHasher,
    ...(source.open && from === source.from ? { openDjangoSource: source.open } : {}),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const count = async (database: TestDatabase, table: "users" | "tasks" | "refresh_tokens") =>
  Number(
    (
      await database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  source = await djangoSourceDatabase();
  target = await createTestDatabase();
});
afterAll(async () => {
  await app?.app.stop();
  await target?.close();
  await source?.drop();
});

const imported = djangoUsers.filter((user) => user.id !== null);
const dumpdata = () =>
  JSON.parse(readFileSync(fixturePath("dumpdata.json"), "utf8")) as Array<{
    model: string;
    pk: number;
    fields: Record<string, unknown>;
  }>;

describe("import-django from the Django service's database", () => {
  it("shows what it would do with --dry-run, and writes nothing", async () => {
    const run = await importFrom(target, source.from, "--dry-run");
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain("nothing was written");
    expect(run.out).toMatch(/users\s+10\s+created 10, updated 0, unchanged 0/);
    expect(run.out).toMatch(/tasks\s+9\s+created 9/);
    expect(await count(target, "users")).toBe(0);
    expect(await count(target, "tasks")).toBe(0);
  });

  it("imports users with their ids, flags, dates and hashes, tasks with their owners, and token records", async () => {
    const run = await importFrom(target, source.from);
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(/users: 10\/10/);
    expect(run.out).toMatch(/users\s+10\s+created 10, updated 0, unchanged 0/);
    expect(run.out).toContain("1 user without a usable password");

    const rows = await target.db.selectFrom("users").selectAll().orderBy("id").execute();
    expect(rows.map((row) => [row.id, row.username])).toEqual(imported.map((user) => [user.id, user.username]));
    for (const user of imported) {
      const row = rows.find((candidate) => candidate.id === user.id);
      expect(row).toMatchObject({
        email: user.email,
        first_name: user.first_name,
        last_name: user.last_name,
        is_active: user.is_active,
        is_staff: user.is_staff,
        is_superuser: user.is_superuser,
      });
      expect(row?.password_hash.startsWith(user.password === null ? "!" : "")).toBe(true);
    }
    // Tasks keep their ids (with the gap the Django service left) and owners.
    const tasks = await target.db.selectFrom("tasks").select(["id", "owner_id", "title"]).orderBy("id").execute();
    const djangoTasks = dumpdata().filter((entry) => entry.model === "tasks.task");
    expect(tasks.map((task) => [task.id, task.owner_id, task.title])).toEqual(
      djangoTasks.map((entry) => [entry.pk, entry.fields.owner, entry.fields.title]),
    );
    // Blacklisted in Django: revoked here. Tokens of the deleted user: left behind.
    const revoked = await target.db
      .selectFrom("refresh_tokens")
      .select("jti")
      .where("revoked_at", "is not", null)
      .execute();
    const revokedInDjango = djangoTokens.refresh_tokens.filter(
      (token) => token.expected === "revoked" && token.user_state !== "deleted",
    );
    expect(new Set(revoked.map((row) => row.jti))).toEqual(new Set(revokedInDjango.map((token) => token.jti)));
  });

  it("moves the id sequences past the imported ids", async () => {
    app = await startTestApp(env, { database: target });
    const account = newAccount();
    const registered = await http(app.url, "POST", "/api/users/register/", { body: account });
    expect(registered.status).toBe(201);
    const maxImported = Math.max(...imported.map((user) => user.id ?? 0));
    const created = await target.db
      .selectFrom("users")
      .select("id")
      .where("username", "=", account.username)
      .executeTakeFirstOrThrow();
    expect(created.id).toBeGreaterThan(maxImported);
  });

  it("keeps every password working, rehashing it as Argon2id on the first login", async () => {
    for (const user of imported) {
      const before = await target.db
        .selectFrom("users")
        .select("password_hash")
        .where("id", "=", user.id ?? 0)
        .executeTakeFirstOrThrow();
      const res = await http(app.url, "POST", "/api/token/", {
        body: { username: user.username, password: user.password ?? "any password at all" },
      });
      if (user.password === null || user.state !== "active") {
        expect(res.status, user.username).toBe(401);
        continue;
      }
      expect(res.status, `${user.username}: ${res.text}`).toBe(200);
      const after = await target.db
        .selectFrom("users")
        .select("password_hash")
        .where("id", "=", user.id ?? 0)
        .executeTakeFirstOrThrow();
      expect(before.password_hash).not.toMatch(/^\$argon2id\$/);
      expect(after.password_hash).toMatch(/^\$argon2id\$/);
      // And the new hash verifies the same password.
      const again = await http(app.url, "POST", "/api/token/", {
        body: { username: user.username, password: user.password },
      });
      expect(again.status).toBe(200);
    }
    const events = await target.db
      .selectFrom("auth_events")
      .select("detail")
      .where("event", "=", "password_rehashed")
      .execute();
    expect(events.map((event) => (event.detail as { from: string }).from).sort()).toEqual(
      ["argon2", "bcrypt_sha256", "pbkdf2_sha1", ...Array(5).fill("pbkdf2_sha256")].sort(),
    );
  });

  it("keeps Django's sessions: its live refresh tokens refresh once, its revoked ones stay revoked", async () => {
    for (const token of djangoTokens.refresh_tokens) {
      const res = await http(app.url, "POST", "/api/token/refresh/", { body: { refresh: token.refresh } });
      if (token.expected === "valid" && token.user_state === "active") {
        expect(res.status, `${token.label}: ${res.text}`).toBe(200);
        // The rotated-away Django token is spent: presenting it again is reuse.
        const replay = await http(app.url, "POST", "/api/token/refresh/", { body: { refresh: token.refresh } });
        expect(replay.status, token.label).toBe(401);
      } else if (token.user_state === "active") {
        expect([res.status, res.body.detail], token.label).toEqual([401, "Token is blacklisted"]);
      } else {
        // Refresh checks the user: inactive and deleted users get 401, as on access.
        expect(res.status, token.label).toBe(401);
      }
    }
  });

  it("accepts the Django service's access tokens of active users", async () => {
    const alice = djangoTokens.refresh_tokens.find((token) => token.label === "alice-login-3");
    const carol = djangoTokens.refresh_tokens.find((token) => token.label === "carol-login-1");
    const me = await http(app.url, "GET", "/api/users/profile/", { token: alice?.access ?? "" });
    expect([me.status, me.body.username]).toEqual([200, "alice"]);
    const inactive = await http(app.url, "GET", "/api/users/profile/", { token: carol?.access ?? "" });
    expect(inactive.status).toBe(401);
  });

  it("runs again without duplicating anything or undoing what happened here since", async () => {
    const tokensBefore = await count(target, "refresh_tokens");
    const run = await importFrom(target, source.from);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/users\s+10\s+created 0, updated 0, unchanged 10/);
    expect(run.out).toMatch(/tasks\s+9\s+created 0, updated 0, unchanged 9/);
    expect(run.out).toMatch(/refresh tokens\s+\d+\s+created 0, updated 0/);
    expect(await count(target, "users")).toBe(imported.length + 1);
    expect(await count(target, "refresh_tokens")).toBe(tokensBefore);
    // Upgraded hashes stay upgraded; tokens spent here stay spent.
    const alice = await target.db
      .selectFrom("users")
      .select("password_hash")
      .where("username", "=", "alice")
      .executeTakeFirstOrThrow();
    expect(alice.password_hash).toMatch(/^\$argon2id\$/);
    const spent = djangoTokens.refresh_tokens.find((token) => token.label === "alice-login-3");
    const res = await http(app.url, "POST", "/api/token/refresh/", { body: { refresh: spent?.refresh } });
    expect(res.status).toBe(401);
  });

  it("adopts only unrecorded tokens issued before the import finished", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const now = Math.floor(Date.now() / 1000);
    const late = await mint(
      { token_type: "refresh", exp: now + 3600, iat: now, jti: "0".repeat(32), user_id: 1 },
      { key: DJANGO_SIGNING_KEY },
    );
    const res = await http(app.url, "POST", "/api/token/refresh/", { body: { refresh: late } });
    expect([res.status, res.body.detail]).toEqual([401, "Token is invalid or expired"]);
  });
});

describe("import-django from a dumpdata file", () => {
  it("imports the same accounts, tasks and token records as from the database", async () => {
    const fromFile = await createTestDatabase();
    try {
      const run = await importFrom(fromFile, fixturePath("dumpdata.json"));
      expect(run.code, run.err).toBe(0);
      expect(run.out).toMatch(/users\s+10\s+created 10/);
      const fresh = await createTestDatabase();
      try {
        expect((await importFrom(fresh, source.from)).code).toBe(0);
        for (const query of [
          sql<object>`select id, username, email, first_name, last_name, password_hash, is_active, is_staff,
                      is_superuser, date_trunc('milliseconds', date_joined) as joined,
                      date_trunc('milliseconds', last_login) as login from users order by id`,
          sql<object>`select id, owner_id, title, description, is_completed,
                      date_trunc('milliseconds', created_at) as created from tasks order by id`,
          sql<object>`select jti, user_id, family_id, expires_at, revoked_at is null as live from refresh_tokens order by jti`,
        ]) {
          const [a, b] = await Promise.all([query.execute(fromFile.db), query.execute(fresh.db)]);
          expect(a.rows.length).toBeGreaterThan(0);
          expect(a.rows).toEqual(b.rows);
        }
      } finally {
        await fresh.close();
      }
    } finally {
      await fromFile.close();
    }
  });

  it("refuses, listing every problem and writing nothing, what does not fit here", async () => {
    const dump = dumpdata();
    const bob = dump.find((entry) => entry.model === "auth.user" && entry.fields.username === "bob");
    const task = dump.find((entry) => entry.model === "tasks.task");
    if (!bob || !task) throw new Error("fixture changed");
    bob.fields.email = "ALICE@example.com";
    task.fields.title = "   ";
    const file = join(tmpdir(), `dumpdata-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(dump));

    const database = await createTestDatabase();
    try {
      const run = await importFrom(database, file);
      expect(run.code).toBe(1);
      expect(run.err).toContain("users alice, bob share the email alice@example.com");
      expect(run.err).toContain(`task ${task.pk} has a blank title`);
      expect(await count(database, "users")).toBe(0);

      // Accounts made here: one under an imported username, one under an imported id.
      await database.db
        .insertInto("users")
        .values([
          { id: 1000, username: "alice", email: "someone@example.com", password_hash: "x" },
          { id: bob.pk, username: "made-here", email: "made-here@example.com", password_hash: "x" },
        ])
        .execute();
      const clash = await importFrom(database, fixturePath("dumpdata.json"));
      expect(clash.code).toBe(1);
      expect(clash.err).toContain("username alice belongs to user 1000 here but to user 1 in Django");
      expect(clash.err).toContain(`user id ${bob.pk} is taken here by made-here, an account not imported from Django`);
      expect(await count(database, "users")).toBe(2);

      writeFileSync(file, "{ not json");
      const broken = await importFrom(database, file);
      expect([broken.code, broken.err]).toEqual([1, expect.stringContaining("not a dumpdata file")]);
    } finally {
      await database.close();
    }
  });
});
