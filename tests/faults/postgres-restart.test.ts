import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminQuery, createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { http } from "../helpers/http.js";
import { baseEnv, type RunningServer, startServer } from "../helpers/process.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

/**
 * Stops the real PostgreSQL server under load and starts it again. It runs in
 * the "faults" project (vitest.config.ts): alone, after every other test file,
 * and only when FAULT_PG_CTL says how to control the server behind
 * DATABASE_URL, e.g. "pg_ctlcluster --skip-systemctl-redirect 15 main".
 */
const control = (process.env.FAULT_PG_CTL ?? "").split(" ").filter(Boolean);
const run = promisify(execFile);
const pgctl = async (...action: string[]) => {
  const [command = "", ...args] = control;
  await run(command, [...args, ...action]);
};

let database: TestDatabase;
let server: RunningServer;
beforeAll(async () => {
  if (control.length === 0 || !process.env.DATABASE_URL)
    throw new Error("the fault suite needs FAULT_PG_CTL and DATABASE_URL");
  database = await createTestDatabase();
  server = await startServer(baseEnv({ DATABASE_URL: database.url ?? "", WEB_CONCURRENCY: "2" }), 2);
});
afterAll(async () => {
  await pgctl("start").catch(() => undefined);
  expect(await server?.stop()).toBe(0);
  await database?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("PostgreSQL restarted under load", () => {
  it("answers 503 while it is down, never 500, recovers by itself, and loses no committed write", async () => {
    const account = newAccount();
    expect((await http(server.url, "POST", "/api/users/register/", { body: account })).status).toBe(201);
    const login = await http(server.url, "POST", "/api/token/", {
      body: { username: account.username, password: STRONG_PASSWORD },
    });
    const token: string = login.body.access;

    const statuses = new Map<number, number>();
    const created: number[] = [];
    const outageAnswers: Array<{ body: unknown; retryAfter: string | null }> = [];
    let loading = true;
    const loop = async (n: number) => {
      for (let i = 0; loading; i += 1) {
        const res =
          i % 2 === 0
            ? await http(server.url, "POST", "/api/tasks/", { token, body: { title: `load ${n}-${i}` } })
            : await http(server.url, "GET", "/api/users/profile/", { token });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 201) created.push(res.body.id);
        if (res.status === 503) {
          outageAnswers.push({ body: res.body, retryAfter: res.headers.get("retry-after") });
          await sleep(20);
        }
      }
    };
    const loops = Array.from({ length: 6 }, (_, n) => loop(n));

    let createdBeforeRecovery = 0;
    try {
      await sleep(1_000);
      await pgctl("stop", "-m", "fast");
      await until(async () => (await http(server.url, "GET", "/readyz")).status === 503, 10_000, "/readyz to fail");
      await sleep(2_000);
      await pgctl("start");
      await until(async () => (await http(server.url, "GET", "/readyz")).status === 200, 30_000, "/readyz to recover");
      createdBeforeRecovery = created.length;
      await sleep(2_000);
    } finally {
      loading = false;
      await Promise.all(loops);
    }

    // Only successes and outage answers: no 500 at any point.
    expect([...statuses.keys()].sort()).toEqual([200, 201, 503]);
    expect(outageAnswers.length).toBeGreaterThan(0);
    for (const answer of outageAnswers) {
      expect(answer.body).toEqual({ detail: "Service temporarily unavailable, try again later." });
      expect(answer.retryAfter).toBe("5");
    }
    // The same processes serve again: nothing was restarted but PostgreSQL.
    expect(server.child.exitCode).toBeNull();
    expect(server.logs().filter((line) => line.msg === "worker died; starting another")).toEqual([]);
    expect(created.length).toBeGreaterThan(createdBeforeRecovery);

    // Every task whose creation was answered 201 is in the database.
    const stored = await adminQuery(database.url ?? "", "select id from tasks where id = any($1::bigint[])", [created]);
    expect(stored.rowCount).toBe(created.length);
  });
});
