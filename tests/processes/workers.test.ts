import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childrenOf, exitOf, listeningPids, metricValue, startCluster } from "../helpers/cluster.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { http } from "../helpers/http.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

const until = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("two worker processes", () => {
  it("answer /metrics with the sum over both workers", async () => {
    const server = await startCluster(database);
    try {
      const requests = 40;
      const answers = await Promise.all(Array.from({ length: requests }, () => http(server.url, "GET", "/healthz")));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      const served = new Set(
        server
          .logs()
          .filter((line) => line.msg === "request" && line.path === "/healthz")
          .map((line) => line.pid),
      );
      // Both workers served some: a single worker's count would not be the total.
      expect(served.size).toBe(2);
      for (let scrape = 0; scrape < 4; scrape += 1) {
        const res = await http(server.url, "GET", "/metrics");
        expect(res.status).toBe(200);
        expect(metricValue(res.text, 'http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(requests);
        // Scrapes before this one, whichever worker answered them.
        expect(metricValue(res.text, 'http_requests_total{method="GET",route="/metrics",status="200"}') ?? 0).toBe(
          scrape,
        );
        expect(res.text).toMatch(/^outbox_mails\{status="pending"\} 0$/m);
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("come back after kill -9 of every worker at once, and the primary still exits 0 on SIGTERM", async () => {
    const server = await startCluster(database);
    try {
      const primary = server.child.pid as number;
      const first = childrenOf(primary);
      expect(first.sort()).toEqual(listeningPids(server).sort());
      for (const pid of first) process.kill(pid, "SIGKILL");
      await until(() => listeningPids(server).length === 4, "two new workers to listen");
      const second = listeningPids(server).slice(2);
      expect(second.some((pid) => first.includes(pid))).toBe(false);
      expect(childrenOf(primary).sort()).toEqual(second.sort());
      const deaths = server.logs().filter((line) => line.msg === "worker died; starting another");
      expect(deaths.map((line) => line.signal)).toEqual(["SIGKILL", "SIGKILL"]);
      const answers = await Promise.all(Array.from({ length: 20 }, () => http(server.url, "GET", "/healthz")));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("give up when workers keep dying before they serve: the primary exits 1 for its supervisor to act", async () => {
    const server = await startCluster(database);
    const primary = server.child.pid as number;
    const exited = exitOf(server);
    let gone = false;
    void exited.then(() => (gone = true));
    const killed = new Set<number>();
    // Every worker dies as soon as it exists, as in a crash loop at start.
    const deadline = Date.now() + 50_000;
    while (!gone && Date.now() < deadline) {
      for (const pid of childrenOf(primary)) {
        if (killed.has(pid)) continue;
        killed.add(pid);
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // It is gone already.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (!gone) server.child.kill("SIGKILL");
    expect(await exited).toBe(1);
    const fatal = server.logs().find((line) => line.msg === "workers cannot start: giving up");
    expect(fatal).toMatchObject({ level: 60, reason: "5 workers in a row died before they could serve" });
    // The first two were serving when killed; then five in a row of one slot never got to.
    expect(killed.size).toBeGreaterThanOrEqual(7);
  });
});
