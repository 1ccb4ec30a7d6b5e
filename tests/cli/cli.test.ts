import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/run.js";
import { ConfigError } from "../../server/config/config.js";
import { connectDatabase, type DatabaseHandle } from "../../server/db/connect.js";
import { migrationsDir } from "../../server/paths.js";
import { fastHasher, testConfig } from "../helpers/app.js";
import { scriptedIO } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

async function run(argv: string[], answers: string[] = [], stdin?: string, on: DatabaseHandle = database) {
  const terminal = scriptedIO({ answers, ...(stdin !== undefined ? { stdin } : {}) });
  const code = await runCli(argv, {
    io: terminal.io,
    loadConfig: () => testConfig(),
    database: on,
    hasher: fastHasher,
  });
  return { code, out: terminal.out.join("\n"), err: terminal.err.join("\n") };
}

/** A refresh-token row in a family of its own. */
async function seedToken(jti: string, userId: number, expiresAt: Date, revokedAt?: Date) {
  await database.db
    .insertInto("refresh_families")
    .values({ id: jti, user_id: userId, expires_at: new Date(Date.now() + 86_400_000) })
    .execute();
  await database.db
    .insertInto("refresh_tokens")
    .values({ jti, user_id: userId, family_id: jti, expires_at: expiresAt, revoked_at: revokedAt ?? null })
    .execute();
}

const user = (username: string) =>
  database.db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();

describe("the manage command line", () => {
  it("migrate: applies nothing twice", async () => {
    expect(await run(["migrate"])).toEqual({ code: 0, out: "No migrations to apply.", err: "" });
  });

  it("showmigrations: every migration, [X] once applied", async () => {
    const names = readdirSync(migrationsDir)
      .filter((file) => file.endsWith(".sql"))
      .map((file) => file.replace(/\.sql$/, ""))
      .sort();
    const applied = await run(["showmigrations"]);
    expect(applied.code).toBe(0);
    expect(applied.out.split("\n").map((line) => line.replace(/ {2}\(\d{4}-[\d-]+T[\d:.]+Z\)$/, ""))).toEqual(
      names.map((name) => ` [X] ${name}`),
    );
    const empty = await connectDatabase({ url: undefined, pgliteDir: "memory://" });
    try {
      const none = await run(["showmigrations"], [], undefined, empty);
      expect(none).toEqual({ code: 0, out: names.map((name) => ` [ ] ${name}`).join("\n"), err: "" });
    } finally {
      await empty.close();
    }
  });

  it("createsuperuser --noinput --password-stdin creates a staff superuser who can log in", async () => {
    const result = await run(
      ["createsuperuser", "--username", "root", "--email", "root@example.com", "--noinput", "--password-stdin"],
      [],
      "Sup3r!Secret#99",
    );
    expect(result).toEqual({ code: 0, out: "Superuser created successfully.", err: "" });
    const row = await user("root");
    expect(row).toMatchObject({ is_staff: true, is_superuser: true, is_active: true, email: "root@example.com" });
    expect(await fastHasher.verify(row?.password_hash ?? "", "Sup3r!Secret#99")).toBe(true);
  });

  it("createsuperuser asks for what the flags do not give, twice for the password", async () => {
    const result = await run(
      ["createsuperuser"],
      ["operator", "ops@example.com", "Another#Secret1", "Another#Secret1"],
    );
    expect(result.code).toBe(0);
    expect((await user("operator"))?.is_superuser).toBe(true);
  });

  it("createsuperuser asks again after each bad answer, and gives up only when nobody answers", async () => {
    const result = await run(
      ["createsuperuser"],
      [
        "bad name",
        "operator",
        "operator2",
        "not-an-email",
        "OPS@example.com",
        "ops2@example.com",
        "Another#Secret1",
        "different",
        "operator2",
        "operator2",
        "Another#Secret2",
        "Another#Secret2",
      ],
    );
    expect(result).toEqual({
      code: 0,
      out: "Superuser created successfully.",
      err: [
        "Error: Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
        "Error: A user with that username already exists.",
        "Error: Enter a valid email address.",
        "Error: A user with that email already exists.",
        "Error: Password fields didn't match.",
        "Error: The password is too similar to the username.",
      ].join("\n"),
    });
    expect(await user("operator2")).toMatchObject({ email: "ops2@example.com", is_staff: true, is_superuser: true });
    const gaveUp = await run(["createsuperuser"], ["operator3", "ops3@example.com", "Another#Secret1", "different"]);
    expect(gaveUp).toMatchObject({ code: 1, err: expect.stringContaining("no terminal to ask for the password") });
    expect(await user("operator3")).toBeUndefined();
  });

  it("createsuperuser refuses taken names, bad fields and weak passwords with non-zero exits", async () => {
    const taken = await run(
      ["createsuperuser", "--username", "root", "--email", "ROOT@example.com", "--password-stdin"],
      [],
      "Sup3r!Secret#99",
    );
    expect(taken.code).toBe(1);
    expect(taken.err).toBe(
      "username: A user with that username already exists.\nemail: A user with that email already exists.",
    );
    const invalid = await run(
      ["createsuperuser", "--username", "bad name", "--email", "nope", "--password-stdin"],
      [],
      "x",
    );
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/^username: Enter a valid username/);
    expect(invalid.err).toMatch(/email: Enter a valid email address\./);
    const weak = await run(
      ["createsuperuser", "--username", "weakling", "--email", "w@example.com", "--password-stdin"],
      [],
      "weakling1",
    );
    expect(weak).toMatchObject({ code: 1, err: "password: The password is too similar to the username." });
    expect(await user("weakling")).toBeUndefined();
    const noTerminal = await run(["createsuperuser", "--noinput"]);
    expect(noTerminal).toMatchObject({ code: 2, err: "--username is required when no terminal can be asked" });
  });

  it("changepassword sets the password and revokes the user's refresh tokens", async () => {
    const row = await user("root");
    await seedToken("cli-test-jti", row?.id ?? 0, new Date(Date.now() + 60_000));
    const result = await run(["changepassword", "root", "--password-stdin"], [], "Fresh!Secret#2026");
    expect(result).toEqual({
      code: 0,
      out: "Changing password for user 'root'\nPassword changed successfully for user 'root'",
      err: "",
    });
    expect(await fastHasher.verify((await user("root"))?.password_hash ?? "", "Fresh!Secret#2026")).toBe(true);
    const token = await database.db
      .selectFrom("refresh_tokens")
      .select("revoked_at")
      .where("jti", "=", "cli-test-jti")
      .executeTakeFirst();
    expect(token?.revoked_at).toBeInstanceOf(Date);
    expect(await run(["changepassword", "nobody", "--password-stdin"], [], "x")).toMatchObject({
      code: 1,
      err: "user 'nobody' does not exist",
    });
    expect((await run(["changepassword"])).code).toBe(2);
  });

  it("user deactivate|activate|delete", async () => {
    expect(await run(["user", "deactivate", "operator"])).toEqual({ code: 0, out: "deactivate operator: ok", err: "" });
    expect((await user("operator"))?.is_active).toBe(false);
    expect((await run(["user", "activate", "operator"])).code).toBe(0);
    expect((await user("operator"))?.is_active).toBe(true);
    expect((await run(["user", "delete", "operator", "--yes"])).code).toBe(0);
    expect(await user("operator")).toBeUndefined();
    expect(await run(["user", "delete", "operator", "--yes"])).toMatchObject({
      code: 1,
      err: "user 'operator' does not exist",
    });
    expect((await run(["user", "explode", "root"])).code).toBe(2);
    expect((await run(["user"])).code).toBe(2);
  });

  it("flushexpiredtokens deletes only expired rows", async () => {
    const row = await user("root");
    const id = row?.id ?? 0;
    await seedToken("expired-1", id, new Date(Date.now() - 1000));
    await seedToken("expired-2", id, new Date(Date.now() - 1000), new Date());
    await seedToken("alive-1", id, new Date(Date.now() + 60_000));
    const result = await run(["flushexpiredtokens"]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Deleted 2 expired refresh tokens and \d+ ended sessions, 0 dead one-time codes, /);
    const left = await database.db.selectFrom("refresh_tokens").select("jti").execute();
    expect(left.map((r) => r.jti)).toEqual(expect.arrayContaining(["alive-1"]));
    expect(left.map((r) => r.jti)).not.toContain("expired-1");
  });

  it("explains unknown commands, bad flags and bad configuration", async () => {
    expect(await run(["frobnicate"])).toMatchObject({
      code: 2,
      err: expect.stringContaining("unknown command 'frobnicate'"),
    });
    expect(await run(["createsuperuser", "--bogus"])).toMatchObject({
      code: 2,
      err: expect.stringContaining("Unknown option '--bogus'"),
    });
    expect((await run(["help"])).out).toContain("flushexpiredtokens");
    const terminal = scriptedIO();
    const code = await runCli(["migrate"], {
      io: terminal.io,
      loadConfig: () => {
        throw new ConfigError(["OTP_TTL: must be a whole number of seconds"]);
      },
    });
    expect(code).toBe(1);
    expect(terminal.err.join("\n")).toContain("OTP_TTL");
  });
});
