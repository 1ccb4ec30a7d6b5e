import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { http } from "../helpers/http.js";
import { baseEnv, startServer } from "../helpers/process.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

const databaseEnv = (): Record<string, string> =>
  database.url ? { DATABASE_URL: database.url } : { PGLITE_DIR: mkdtempSync(join(tmpdir(), "shutdown-pglite-")) };

interface Answer {
  status: number;
  body: string;
  at: number;
}

/** One request on its own connection; resolves once the request has been handed to the socket. */
function inFlight(url: string, path: string, body: unknown): { sent: Promise<void>; answer: Promise<Answer> } {
  let markSent: () => void = () => {};
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const answer = new Promise<Answer>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(`${url}${path}`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, at: performance.now() }));
    });
    req.on("error", reject);
    req.end(payload, markSent);
  });
  return { sent, answer };
}

describe("SIGTERM", () => {
  it("lets in-flight requests finish, then exits with 0", async () => {
    // The production hasher: each login takes real time, so requests are still running at the signal.
    const server = await startServer(baseEnv({ ...databaseEnv(), WEB_CONCURRENCY: "1", LOG_LEVEL: "info" }));
    // One account each: an account takes at most 10 password checks in flight at once.
    const accounts = Array.from({ length: 12 }, () => newAccount());
    for (const account of accounts) {
      expect((await http(server.url, "POST", "/api/users/register/", { body: account })).status).toBe(201);
    }

    const logins = accounts.map((account) =>
      inFlight(server.url, "/api/token/", { username: account.username, password: STRONG_PASSWORD }),
    );
    await Promise.all(logins.map((login) => login.sent));
    // Signal only once the server is working on all of them (a connection whose request it has
    // not read yet is idle to it, and closed at shutdown like any idle connection).
    const inFlightNow = async () =>
      Number(/^http_requests_in_flight (\d+)$/m.exec((await http(server.url, "GET", "/metrics")).text)?.[1] ?? 0);
    let answered = 0;
    for (const login of logins) login.answer.then(() => (answered += 1));
    // The /metrics request counts itself.
    while ((await inFlightNow()) - 1 + answered < logins.length) await new Promise((resolve) => setTimeout(resolve, 5));
    const exited = server.stop();
    const signalledAt = performance.now();

    const answers = await Promise.all(logins.map((login) => login.answer));
    expect(await exited).toBe(0);
    for (const answer of answers) {
      expect(answer.status, answer.body).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ refresh: expect.any(String), access: expect.any(String) });
    }
    // The point of the test: some answers were still being worked on when the signal came.
    expect(answers.filter((answer) => answer.at > signalledAt).length).toBeGreaterThan(0);
    expect(server.logs().some((line) => line.msg === "shutting down: finishing in-flight requests")).toBe(true);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
