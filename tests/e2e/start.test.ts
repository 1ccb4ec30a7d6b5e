import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { http } from "../helpers/http.js";
import { baseEnv, entry, runToExit, startServer } from "../helpers/process.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

/** This file's own database: its PostgreSQL URL, or a fresh PGlite folder. */
const databaseEnv = (): Record<string, string> =>
  database.url ? { DATABASE_URL: database.url } : { PGLITE_DIR: mkdtempSync(join(tmpdir(), "e2e-pglite-")) };

// Each test starts real processes; on embedded PGlite each first migrates a fresh folder,
// which takes tens of seconds on a busy two-core machine.
const PROCESS_TIMEOUT = { timeout: 120_000 };

describe("npm start (dist/server/main.js)", PROCESS_TIMEOUT, () => {
  it("refuses invalid configuration with a message naming the variable", async () => {
    const result = await runToExit(
      entry("server"),
      [],
      baseEnv({ ACCESS_TOKEN_LIFETIME: "5 minutes", ROTATE_REFRESH_TOKENS: "perhaps" }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("ACCESS_TOKEN_LIFETIME: must be a whole number of seconds");
    expect(result.stderr).toContain("ROTATE_REFRESH_TOKENS: must be true or false");
  });

  it("refuses to start in production without a strong signing key", async () => {
    const env = baseEnv({ NODE_ENV: "production", JWT_SIGNING_KEY: "too-short" });
    const result = await runToExit(entry("server"), [], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("JWT_SIGNING_KEY: must be at least 32 bytes when NODE_ENV=production");
  });

  it("migrates, serves REST and tRPC, and exits cleanly on SIGTERM", async () => {
    const server = await startServer(baseEnv(databaseEnv()));
    try {
      const ready = await http(server.url, "GET", "/api/token/");
      expect(ready.status).toBe(405);
      const account = newAccount();
      expect((await http(server.url, "POST", "/api/users/register/", { body: account })).status).toBe(201);
      const pair = await http(server.url, "POST", "/api/token/", {
        body: { username: account.username, password: STRONG_PASSWORD },
      });
      expect(pair.status).toBe(200);
      const me = await http(server.url, "GET", "/trpc/user.me", { token: pair.body.access });
      expect(me.body.result.data.username).toBe(account.username);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("serves from WEB_CONCURRENCY worker processes on PostgreSQL, from one on embedded PGlite", async () => {
    const workers = database.url ? 2 : 1;
    const server = await startServer(baseEnv({ ...databaseEnv(), WEB_CONCURRENCY: "2" }), workers);
    try {
      const pids = new Set(
        server
          .logs()
          .filter((line) => line.msg === "listening")
          .map((line) => line.pid),
      );
      expect(pids.size).toBe(workers);
      const notice = server.logs().some((line) => String(line.msg).startsWith("WEB_CONCURRENCY=2 ignored"));
      expect(notice).toBe(!database.url);
      const responses = await Promise.all(Array.from({ length: 20 }, () => http(server.url, "GET", "/api/token/")));
      expect(responses.every((res) => res.status === 405)).toBe(true);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("npm run manage (dist/server/cli/main.js)", PROCESS_TIMEOUT, () => {
  it("runs commands against the configured database with meaningful exit codes", async () => {
    const env = baseEnv(databaseEnv());
    expect((await runToExit(entry("cli"), ["migrate"], env)).code).toBe(0);
    const created = await runToExit(
      entry("cli"),
      ["createsuperuser", "--username", "boss", "--email", "boss@example.com", "--noinput", "--password-stdin"],
      env,
      "Sup3r!Secret#99\n",
    );
    expect([created.code, created.stdout.trim()]).toEqual([0, "Superuser created successfully."]);
    const missing = await runToExit(entry("cli"), ["user", "deactivate", "ghost"], env);
    expect([missing.code, missing.stderr.trim()]).toEqual([1, "user 'ghost' does not exist"]);
    expect((await runToExit(entry("cli"), ["user", "deactivate", "boss"], env)).code).toBe(0);
    // Four processes, each opening PGlite itself (seconds each on a busy machine).
  }, 120_000);
});
