import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { runCli } from "../../server/cli/run.js";
import { fastHasher, testConfig } from "../helpers/app.js";
import { scriptedIO } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { http } from "../helpers/http.js";
import { baseEnv, entry, runToExit, startServer } from "../helpers/process.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db
    .insertInto("users")
    .values([
      { username: "shell-a", email: "a@example.com", password_hash: "x", is_staff: true },
      { username: "shell-b", email: "b@example.com", password_hash: "x" },
    ])
    .execute();
});
afterAll(() => database.close());

async function dbshell(options: Parameters<typeof scriptedIO>[0], env: Record<string, string> = {}) {
  const terminal = scriptedIO(options);
  const code = await runCli(["dbshell"], {
    io: terminal.io,
    loadConfig: () => testConfig(env),
    database,
    hasher: fastHasher,
  });
  return { code, out: terminal.out.join("\n"), err: terminal.err.join("\n") };
}

describe("dbshell's own prompt", () => {
  it("runs a piped script, statements across lines, and \\dt", async () => {
    const result = await dbshell({
      stdin:
        "select username, is_staff from users where username like 'shell-%' order by username;\n" +
        "select 1 as one,\n  'two' as two;\n\\dt\n",
    });
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      [" username | is_staff", "----------+----------", " shell-a  | true", " shell-b  | false", "(2 rows)"].join("\n"),
    );
    expect(result.out).toContain([" one | two", "-----+-----", " 1   | two", "(1 row)"].join("\n"));
    expect(result.out).toMatch(/^ users$/m);
    expect(result.out).toMatch(/^ auth_events$/m);
  });

  it("stops a piped script at its first error, with exit 1", async () => {
    const result = await dbshell({
      stdin: "update users set first_name = 'X' where username = 'shell-b';\nselect nope;\nselect 1;\n",
    });
    expect(result.code).toBe(1);
    expect(result.err).toBe('ERROR:  column "nope" does not exist');
    expect(result.out).toBe("OK, 1 row");
  });

  it("at a terminal, reports an error and goes on, describes a table, and quits with \\q", async () => {
    const result = await dbshell({
      interactive: true,
      answers: [
        "select nope;",
        "\\d tasks",
        "select count(*) as n",
        "from users where username like 'shell-%';",
        "\\q",
        "select 'after quitting';",
      ],
    });
    expect(result.code).toBe(0);
    expect(result.err).toBe('ERROR:  column "nope" does not exist');
    expect(result.out).toMatch(/^ title +\| character varying +\| NO/m);
    expect(result.out).toContain([" n", "---", " 2", "(1 row)"].join("\n"));
    expect(result.out).not.toContain("after quitting");
  });
});

if (process.env.DATABASE_URL) {
  describe("dbshell on PostgreSQL", () => {
    it("is psql, with the password in its environment rather than its arguments", async () => {
      const url = new URL(database.url ?? "");
      url.password = "s3cret"; // the local server trusts its users: any password will do
      const terminal = scriptedIO({ stdin: "select username from users where username = 'shell-a';\n" });
      const runs: Array<{ args: string[]; env: Record<string, string> }> = [];
      const run = terminal.io.runProgram;
      terminal.io.runProgram = (file, args, env) => {
        runs.push({ args, env });
        return run(file, args, env);
      };
      const code = await runCli(["dbshell"], {
        io: terminal.io,
        loadConfig: () => testConfig({ DATABASE_URL: url.toString() }),
        database,
        hasher: fastHasher,
      });
      expect(code).toBe(0);
      expect(terminal.out.join("\n")).toMatch(/ username\s*\n-+\s*\n shell-a\s*\n\(1 row\)/);
      expect(runs).toHaveLength(1);
      expect(runs[0]?.args.join(" ")).not.toContain("s3cret");
      expect(runs[0]?.env).toEqual({ PGPASSWORD: "s3cret" });
    });
  });
}

describe("dbshell on a PGlite folder", () => {
  it("goes through the running server, and opens the folder itself when none runs", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "dbshell-"));
    onTestFinished(() => rmSync(scratch, { recursive: true, force: true }));
    const env = baseEnv({ PGLITE_DIR: join(scratch, "pglite"), MAIL_OUTBOX_DIR: join(scratch, "outbox") });
    const server = await startServer(env);
    const account = newAccount();
    try {
      expect((await http(server.url, "POST", "/api/users/register/", { body: account })).status).toBe(201);
      const shell = await runToExit(
        entry("cli"),
        ["dbshell"],
        env,
        `update users set first_name = 'Shell' where username = '${account.username}';\n`,
      );
      expect([shell.code, shell.stdout.trim(), shell.stderr]).toEqual([0, "OK, 1 row", ""]);
      const pair = await http(server.url, "POST", "/api/token/", {
        body: { username: account.username, password: STRONG_PASSWORD },
      });
      const profile = await http(server.url, "GET", "/api/users/profile/", { token: pair.body.access });
      expect(profile.body.first_name).toBe("Shell");
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const alone = await runToExit(entry("cli"), ["dbshell"], env, "select first_name from users;\n");
    expect([alone.code, alone.stderr]).toEqual([0, ""]);
    expect(alone.stdout).toContain(" Shell\n(1 row)");
  }, 120_000);
});
