import { describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/run.js";
import { changeAccount, deleteAccount } from "../../server/services/users.js";
import { fastHasher, testConfig, useTestApp } from "../helpers/app.js";
import { scriptedIO } from "../helpers/cli.js";
import { client } from "../helpers/http.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// Accounts as an operator handles them: the command line, over the rules of
// the users service that the API and the admin console share.

const app = useTestApp();
const api = client(() => app().url);

async function manage(argv: string[], answers?: string[]) {
  const terminal = scriptedIO(answers ? { answers } : {});
  const code = await runCli(argv, {
    io: terminal.io,
    loadConfig: () => testConfig(),
    database: app().db,
    hasher: fastHasher,
  });
  return { code, out: terminal.out.join("\n"), err: terminal.err.join("\n") };
}

const row = (username: string) =>
  app().db.db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();

const events = (event: string) =>
  app()
    .db.db.selectFrom("auth_events")
    .select(["user_id", "username", "ip", "user_agent", "detail"])
    .where("event", "=", event)
    .execute();

async function registered(overrides: Record<string, unknown> = {}) {
  const account = newAccount(overrides);
  const res = await api.post("/api/users/register/", account, { headers: { "user-agent": "accounts-test" } });
  expect(res.status).toBe(201);
  return account.username;
}

describe("the audit trail of accounts", () => {
  it("records registrations through the API, with the client, and accounts made by the command line", async () => {
    const username = await registered();
    const id = (await row(username))?.id;
    expect((await events("user_registered")).filter((event) => event.user_id === id)).toEqual([
      { user_id: id, username: null, ip: "127.0.0.1", user_agent: "accounts-test", detail: null },
    ]);
    const trail = await manage(["audit", "--user", username]);
    expect(trail.out).toMatch(
      new RegExp(`^\\S+ user_registered user=${username} ip=127\\.0\\.0\\.1 agent="accounts-test"$`),
    );

    const terminal = scriptedIO({ stdin: "Clerk!Secret#2026\n" });
    const argv = ["createuser", "--username", "clerk", "--email", "clerk@example.com", "--first-name", "Cl"];
    const code = await runCli([...argv, "--staff", "--password-stdin"], {
      io: terminal.io,
      loadConfig: () => testConfig(),
      database: app().db,
      hasher: fastHasher,
    });
    expect([code, terminal.out]).toEqual([0, ["User created successfully."]]);
    expect(await row("clerk")).toMatchObject({ is_staff: true, is_superuser: false, first_name: "Cl" });
    expect(await events("user_created")).toEqual([
      expect.objectContaining({ detail: { by: "cli", is_staff: true, is_superuser: false } }),
    ]);
  });
});

describe("user list", () => {
  it("filters by state and role, searches literally, and counts", async () => {
    const plain = await registered({ first_name: "Zeno" });
    const off = await registered();
    const boss = await registered({ last_name: "100%_sure" });
    expect((await manage(["user", "deactivate", off])).code).toBe(0);
    expect((await manage(["user", "superuser", boss])).code).toBe(0);

    const all = await manage(["user", "list"]);
    const header = all.out.split("\n")[0];
    expect(header).toMatch(
      /^ id +\| username +\| email +\| name +\| active \| staff \| superuser \| last login +\| joined/,
    );
    const total = Number(
      (
        await app()
          .db.db.selectFrom("users")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(all.out.split("\n").at(-1)).toMatch(new RegExp(`^${total} matching; ${total} users in all: `));

    const inactive = await manage(["user", "list", "--inactive", "--search", off]);
    expect(inactive.out).toContain(` ${off} `);
    expect(inactive.out).not.toContain(` ${plain} `);
    expect(inactive.out.split("\n").at(-1)).toMatch(/^1 matching; /);

    const superusers = (await manage(["user", "list", "--superuser"])).out;
    expect(superusers).toContain(` ${boss} `);
    expect(superusers).not.toContain(` ${plain} `);
    expect(superusers).toMatch(new RegExp(`${boss} .*\\| yes +\\| yes +\\| yes`));

    expect((await manage(["user", "list", "--search", "%_sure"])).out).toContain(` ${boss} `);
    expect((await manage(["user", "list", "--search", "zeno"])).out).toContain(` ${plain} `);
    const none = await manage(["user", "list", "--search", "100%x"]);
    expect(none.out).toMatch(/^0 matching; /);

    const limited = await manage(["user", "list", "--limit", "1"]);
    expect(limited.out.split("\n")).toHaveLength(4);
    expect(limited.out.split("\n").at(-1)).toMatch(new RegExp(`^1 of ${total} matching; `));
    expect((await manage(["user", "list", "--active", "--inactive"])).code).toBe(2);
    expect((await manage(["user", "list", "--limit", "0"])).code).toBe(2);
  });
});

describe("staff and superuser", () => {
  it("are granted and revoked, audited, a superuser always staff, and nothing written when nothing changes", async () => {
    const name = await registered();
    const flags = async () => {
      const user = await row(name);
      return [user?.is_staff, user?.is_superuser];
    };
    expect(await manage(["user", "staff", name])).toMatchObject({ code: 0, out: `staff ${name}: ok` });
    expect(await flags()).toEqual([true, false]);
    expect(await manage(["user", "staff", name])).toMatchObject({
      code: 0,
      out: `staff ${name}: unchanged (already staff)`,
    });
    expect((await manage(["user", "superuser", name])).code).toBe(0);
    expect(await flags()).toEqual([true, true]);
    expect((await manage(["user", "unsuperuser", name])).code).toBe(0);
    expect(await flags()).toEqual([true, false]);
    expect((await manage(["user", "superuser", name])).code).toBe(0);
    expect((await manage(["user", "unstaff", name])).code).toBe(0);
    expect(await flags()).toEqual([false, false]);

    const trail = (await manage(["audit", "--user", name])).out.split("\n").map((line) => line.split(" ")[1]);
    expect(trail).toEqual([
      "user_staff_revoked",
      "user_superuser_granted",
      "user_superuser_revoked",
      "user_superuser_granted",
      "user_staff_granted",
      "user_registered",
    ]);
    expect(await manage(["user", "staff", "nobody-at-all"])).toMatchObject({
      code: 1,
      err: "user 'nobody-at-all' does not exist",
    });
  });

  it("of dozens of parallel identical changes, one writes and is audited; the others find it done", async () => {
    const name = await registered();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        changeAccount(app().app.deps, { username: name }, i % 2 === 0 ? "superuser" : "deactivate", { by: "test" }),
      ),
    );
    expect(results.filter((result) => result?.changed)).toHaveLength(2);
    const user = await row(name);
    expect([user?.is_active, user?.is_staff, user?.is_superuser]).toEqual([false, true, true]);
    const audited = (await manage(["audit", "--user", name])).out;
    expect(audited.match(/user_superuser_granted/g)).toHaveLength(1);
    expect(audited.match(/user_deactivated/g)).toHaveLength(1);
  });
});

describe("user delete", () => {
  it("asks for confirmation, or takes --yes; the trail keeps the name", async () => {
    const name = await registered();
    expect(await manage(["user", "delete", name], ["no"])).toMatchObject({ code: 1, err: "Deletion cancelled." });
    expect(await row(name)).toBeDefined();
    expect(await manage(["user", "delete", name])).toMatchObject({
      code: 2,
      err: "user delete needs --yes when no terminal can confirm",
    });
    expect(await manage(["user", "delete", name], ["yes"])).toMatchObject({ code: 0, out: `delete ${name}: ok` });
    expect(await row(name)).toBeUndefined();

    const trail = (await manage(["audit", "--user", name])).out.split("\n");
    expect(trail.map((line) => line.split(" ").slice(1, 3).join(" "))).toEqual([
      `user_deleted username=${name}`,
      `user_registered username=${name}`,
    ]);
    const other = await registered();
    expect((await manage(["user", "delete", other, "--yes"])).code).toBe(0);
    expect(await row(other)).toBeUndefined();
  });

  it("takes the account's refresh tokens with it, and no one else's", async () => {
    const [name, other] = [await registered(), await registered()];
    const pairs = [];
    for (const username of [name, name, other]) {
      const res = await api.post("/api/token/", { username, password: STRONG_PASSWORD });
      expect(res.status).toBe(200);
      pairs.push(res.body as { refresh: string });
    }
    // A rotated token and its successor too.
    expect((await api.post("/api/token/refresh/", { refresh: pairs[0]?.refresh })).status).toBe(200);
    const tokensOf = async (username: string) =>
      (
        await app()
          .db.db.selectFrom("refresh_tokens as t")
          .innerJoin("refresh_families as f", "f.id", "t.family_id")
          .innerJoin("users as u", "u.id", "f.user_id")
          .select("t.jti")
          .where("u.username", "=", username)
          .execute()
      ).length;
    const everyToken = async () => (await app().db.db.selectFrom("refresh_tokens").select("jti").execute()).length;
    expect([await tokensOf(name), await tokensOf(other)]).toEqual([3, 1]);
    const before = await everyToken();
    expect((await manage(["user", "delete", name, "--yes"])).code).toBe(0);
    // No foreign key cascades to them (20261217100000_fast_path_locks): the deletion removes them itself.
    expect(await everyToken()).toBe(before - 3);
    expect(await tokensOf(other)).toBe(1);
  });

  it("of dozens of parallel deletions of one account, one deletes and is audited", async () => {
    const name = await registered();
    const deleted = await Promise.all(
      Array.from({ length: 25 }, () => deleteAccount(app().app.deps, { username: name }, { by: "test" })),
    );
    expect(deleted.filter(Boolean)).toHaveLength(1);
    const trail = (await manage(["audit", "--user", name, "--event", "user_deleted"])).out.split("\n");
    expect(trail).toHaveLength(1);
  });
});
