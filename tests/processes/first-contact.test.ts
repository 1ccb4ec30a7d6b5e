import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../server/paths.js";
import { clusterCommand } from "../helpers/cluster.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { http } from "../helpers/http.js";
import { baseEnv, entry, runToExit, startServer } from "../helpers/process.js";

let database: TestDatabase;
// The tests run one after the other: their servers share one PGlite folder (created once, then migrated once).
const pgliteDir = mkdtempSync(join(tmpdir(), "first-contact-"));
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

/** One server process over this file's database: its PostgreSQL URL, or the file's PGlite folder. */
const databaseEnv = (): Record<string, string> =>
  database.url ? { DATABASE_URL: database.url, WEB_CONCURRENCY: "1" } : { PGLITE_DIR: pgliteDir };

async function occupiedPort(): Promise<{ port: number; release(): Promise<void> }> {
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const { port } = holder.address() as { port: number };
  return { port, release: () => new Promise((resolve) => holder.close(() => resolve())) };
}

describe("a busy port", () => {
  it("is one line naming the port and PORT, exit 1, no stack trace: one process and two workers alike", async () => {
    const busy = await occupiedPort();
    try {
      const single = await runToExit(entry("server"), [], baseEnv({ ...databaseEnv(), PORT: String(busy.port) }));
      const workers = clusterCommand(database, { PORT: String(busy.port) });
      const clustered = await runToExit(workers.file, [], workers.env);
      for (const result of [single, clustered]) {
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          `Port ${busy.port} is already in use: set PORT to a free port (PORT=0 picks one).\n`,
        );
        expect(result.stdout).not.toMatch(/\n\s+at /);
      }
    } finally {
      await busy.release();
    }
  });
});

describe("the start-up line", () => {
  it("is a JSON log line with the API's and the docs' URLs when the output is not a terminal", async () => {
    const server = await startServer(baseEnv(databaseEnv()));
    try {
      const ready = server.logs().filter((line) => line.msg === "ready");
      expect(ready).toEqual([
        expect.objectContaining({ level: 30, url: server.url, docs: `${server.url}/api/docs`, workers: 1 }),
      ]);
      expect((await http(server.url, "GET", "/api/docs")).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("is a sentence on a terminal", async () => {
    // util-linux's script(1) runs the server on a pseudo-terminal.
    const env = baseEnv(databaseEnv());
    const child = spawn("script", ["-qec", `${process.execPath} ${entry("server")}`, "/dev/null"], {
      env,
      cwd: projectRoot,
      detached: true,
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!/Serving on /.test(output) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const line = /^Serving on .*$/m.exec(output)?.[0]?.trim();
      const port = /:(\d+) /.exec(line ?? "")?.[1];
      expect(line).toBe(
        `Serving on http://127.0.0.1:${port} (1 process, ${database.url ? "postgres" : "pglite"}): API reference at http://127.0.0.1:${port}/api/docs`,
      );
    } finally {
      // The whole group: script(1), its shell and the server.
      process.kill(-(child.pid as number), "SIGTERM");
      await exited;
    }
  });

  it("comes once, from the primary, when both workers listen", async () => {
    const workers = clusterCommand(database);
    const server = await startServer(workers.env, 2, workers.file);
    try {
      // The workers log that they listen; the primary learns it from them, a moment later.
      const deadline = Date.now() + 10_000;
      while (!server.logs().some((line) => line.msg === "ready") && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const ready = server.logs().filter((line) => line.msg === "ready");
      expect(ready).toEqual([expect.objectContaining({ url: server.url, docs: `${server.url}/api/docs`, workers: 2 })]);
      expect(ready[0]?.pid).toBe(server.child.pid);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("an env file", () => {
  it("fills in what the environment does not set (ENV_FILE, else .env in the checkout)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "env-file-")), "server.env");
    writeFileSync(file, "CORS_ALLOWED_ORIGINS=http://from-the-file.test\nCORS_ALLOW_CREDENTIALS=true\n");
    const server = await startServer(baseEnv({ ...databaseEnv(), ENV_FILE: file, CORS_ALLOW_CREDENTIALS: "false" }));
    try {
      const res = await http(server.url, "GET", "/healthz", { headers: { origin: "http://from-the-file.test" } });
      expect(res.headers.get("access-control-allow-origin")).toBe("http://from-the-file.test");
      // The environment's own value wins.
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const missing = await runToExit(entry("server"), [], baseEnv({ ...databaseEnv(), ENV_FILE: `${file}.missing` }));
    expect([missing.code, missing.stderr]).toEqual([
      1,
      `Invalid configuration:\n  ENV_FILE: cannot read ${file}.missing (ENOENT)\n`,
    ]);
  });
});
