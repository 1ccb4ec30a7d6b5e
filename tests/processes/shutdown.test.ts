import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster } from "../helpers/cluster.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

interface Answer {
  status: number;
  body: string;
  connection: string | undefined;
  at: number;
}

/** One request; resolves once it is handed to the socket, and with its answer. */
function send(url: string, path: string, options: { body?: unknown; agent?: Agent | false } = {}) {
  let markSent: () => void = () => {};
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const answer = new Promise<Answer>((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(`${url}${path}`, {
      method: payload === undefined ? "GET" : "POST",
      agent: options.agent ?? false,
      headers: payload === undefined ? {} : { "content-type": "application/json" },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection, at: performance.now() }),
      );
    });
    req.on("error", reject);
    req.end(payload, markSent);
  });
  return { sent, answer };
}

describe("SIGTERM with two workers", () => {
  it("stops accepting, lets every request in flight finish, closes keep-alive connections politely, exits 0", async () => {
    const server = await startCluster(database);
    try {
      // Keep-alive connections, idle when the signal comes.
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      const warm = await Promise.all(Array.from({ length: 4 }, () => send(server.url, "/healthz", { agent }).answer));
      expect(warm.map((answer) => answer.connection)).toEqual(["keep-alive", "keep-alive", "keep-alive", "keep-alive"]);

      // Logins of unknown users hash a dummy password at production cost: real work in flight (one
      // name each, since an account takes at most 10 password checks at once).
      const logins = Array.from({ length: 12 }, (_, i) =>
        send(server.url, "/api/token/", { body: { username: `nobody-here-${i}`, password: "Wrong-Password-1" } }),
      );
      // The signal comes as soon as the requests are on the wire: the workers may not have seen them yet.
      await Promise.all(logins.map((login) => login.sent));
      const exited = server.stop();
      const signalledAt = performance.now();
      // So does one on an idle keep-alive connection.
      const late = send(server.url, "/healthz", { agent });

      const answers = await Promise.all(logins.map((login) => login.answer));
      // The point of the test: answers came after the signal.
      expect(answers.filter((answer) => answer.at > signalledAt).length).toBeGreaterThan(0);
      for (const answer of answers) {
        expect(answer.status, answer.body).toBe(401);
        expect(JSON.parse(answer.body)).toEqual({ detail: "No active account found with the given credentials" });
      }
      expect((await late.answer).status).toBe(200);
      expect(await exited).toBe(0);
      agent.destroy();

      const stopping = server.logs().filter((line) => line.msg === "shutting down: finishing in-flight requests");
      expect(new Set(stopping.map((line) => line.pid)).size).toBe(2);
      expect(server.logs().some((line) => line.msg === "shutting down: workers finish their requests")).toBe(true);
      expect(server.logs().filter((line) => Number(line.level) >= 50)).toEqual([]);
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    } finally {
      // A failed assertion must not leave the server behind (its workers follow the primary).
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });
});
