import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMITS } from "../../server/services/throttle.js";
import { startTestApp } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { http } from "../helpers/http.js";
import { baseEnv, type RunningServer, startServer } from "../helpers/process.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

/**
 * Two server instances over one database. On PostgreSQL they are two separate
 * `node dist/server/main.js` processes, so nothing can be shared in memory; an
 * embedded PGlite database cannot be opened by two processes, so there they
 * are two apps in this process with no state but the database in common.
 */
let database: TestDatabase;
const instances: Array<{ url: string; stop(): Promise<unknown> }> = [];

// A replay is reuse at once (no reuse interval), wherever it arrives.
const NO_REUSE_INTERVAL = { REFRESH_TOKEN_REUSE_INTERVAL: "0" };

beforeAll(async () => {
  database = await createTestDatabase();
  for (let i = 0; i < 2; i += 1) {
    if (database.url) {
      const server: RunningServer = await startServer(
        baseEnv({ DATABASE_URL: database.url, WEB_CONCURRENCY: "1", ...NO_REUSE_INTERVAL }),
      );
      instances.push({ url: server.url, stop: () => server.stop() });
    } else {
      const app = await startTestApp(
        { MAIL_OUTBOX_DIR: mkdtempSync(join(tmpdir(), "two-")), ...NO_REUSE_INTERVAL },
        { database },
      );
      instances.push({ url: app.url, stop: () => app.app.stop() });
    }
  }
});
afterAll(async () => {
  for (const instance of instances) await instance.stop();
  await database.close();
});

const a = () => instances[0]?.url ?? "";
const b = () => instances[1]?.url ?? "";
const refused = { detail: "Token is blacklisted", code: "token_not_valid" };

async function account(url: string) {
  const body = newAccount();
  expect((await http(url, "POST", "/api/users/register/", { body })).status).toBe(201);
  return body;
}

describe("two instances on one database", () => {
  it("a refresh token rotated on one is refused on the other, and the reuse ends the session on both", async () => {
    const user = await account(a());
    const login = await http(a(), "POST", "/api/token/", {
      body: { username: user.username, password: STRONG_PASSWORD },
    });
    expect(login.status).toBe(200);
    const rotated = await http(a(), "POST", "/api/token/refresh/", { body: { refresh: login.body.refresh } });
    expect(rotated.status).toBe(200);

    const replay = await http(b(), "POST", "/api/token/refresh/", { body: { refresh: login.body.refresh } });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual(refused);
    // Reuse detected on B revoked the family, so A refuses the newest token too.
    const newest = await http(a(), "POST", "/api/token/refresh/", { body: { refresh: rotated.body.refresh } });
    expect(newest.status).toBe(401);
  });

  it("shares the brute-force lockout: failures on one instance lock the account on the other", async () => {
    const user = await account(b());
    for (let i = 0; i < LIMITS.passwordAccount.limit; i += 1) {
      const url = i % 2 === 0 ? a() : b();
      const res = await http(url, "POST", "/api/token/", { body: { username: user.username, password: `no-${i}` } });
      expect(res.status).toBe(401);
    }
    for (const url of [a(), b()]) {
      const res = await http(url, "POST", "/api/token/", {
        body: { username: user.username, password: STRONG_PASSWORD },
      });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });
});
