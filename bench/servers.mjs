// Starting and stopping the servers under test.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { childrenOf } from "./proc.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

export const ENTRIES = {
  ours: fileURLToPath(new URL("../dist/server/main.js", import.meta.url)),
  floor: fileURLToPath(new URL("./floor-server.mjs", import.meta.url)),
};

/**
 * BENCH_FLOOR=shared: the floor becomes ../shared/bench's own (peers/floor/server-http.mjs),
 * run from a copy in bench/results/shared-floor with the dependencies its lockfile pins,
 * installed as that harness installs them. Its schema is its own (it migrates at start).
 */
export function useSharedFloor(sharedBench) {
  const source = join(sharedBench, "peers", "floor");
  if (!existsSync(join(source, "server-http.mjs"))) {
    throw new Error(`BENCH_FLOOR=shared: no floor in ${source} (set BENCH_SHARED_DIR to ../shared/bench)`);
  }
  const copy = fileURLToPath(new URL("./results/shared-floor/", import.meta.url));
  mkdirSync(copy, { recursive: true });
  for (const name of readdirSync(source)) {
    if (statSync(join(source, name)).isFile()) writeFileSync(join(copy, name), readFileSync(join(source, name)));
  }
  const lock = readFileSync(join(copy, "package-lock.json"), "utf8");
  const stamp = join(copy, ".installed-lock");
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== lock) {
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: copy, stdio: ["ignore", "ignore", "inherit"] });
    writeFileSync(stamp, lock);
  }
  ENTRIES.floor = join(copy, "server-http.mjs");
}

/** The servers' settings, shared by every bench script: the bench signs tokens with the same key. */
export const SIGNING_KEY = "bench-signing-key-0123456789-0123456789-abcdef";
export const LIFETIMES = { access: 3600, refresh: 86400 };

/** The environment both servers run with (`startServer` adds the port, host and workers). */
export const serverEnv = (url, outbox) => ({
  NODE_ENV: "production",
  DATABASE_URL: url,
  JWT_SIGNING_KEY: SIGNING_KEY,
  ACCESS_TOKEN_LIFETIME: String(LIFETIMES.access),
  REFRESH_TOKEN_LIFETIME: String(LIFETIMES.refresh),
  MAIL_OUTBOX_DIR: outbox,
  // Our floor only (ours has no such variable): see floor-server.mjs.
  ...(process.env.BENCH_FLOOR_JWT ? { FLOOR_JWT: process.env.BENCH_FLOOR_JWT } : {}),
});

const running = new Set();

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `ours` or `floor` with `workers` worker processes and waits until it
 * answers and all its workers exist. With one worker the primary serves.
 */
export async function startServer(kind, { env, workers, nodeArgs = [] }) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, ENTRIES[kind]], {
    cwd: root,
    // A process group of its own, so that the whole cluster can be killed at once.
    detached: true,
    // The access log goes to a file, as in production (LOG_LEVEL is left at its default).
    stdio: ["ignore", openSync(join(env.MAIL_OUTBOX_DIR ?? tmpdir(), `${kind}.log`), "a"), "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      WEB_CONCURRENCY: String(workers),
    },
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const server = {
    kind,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    workerPids: () => (workers > 1 ? childrenOf(child.pid) : [child.pid]),
    /** SIGTERM (the cluster stops its workers), SIGKILL for the group after 10 s. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const late = setTimeout(() => killGroup(child.pid), 10_000);
        await exited;
        clearTimeout(late);
      }
      // Workers left behind by a primary that died.
      killGroup(child.pid);
      running.delete(server);
    },
  };
  running.add(server);

  const deadline = Date.now() + 60_000;
  let early;
  exited.then((status) => {
    early = status;
  });
  for (;;) {
    if (early) throw new Error(`${kind} server exited at start (${JSON.stringify(early)}):\n${stderr}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${kind} server did not become ready in 60 s:\n${stderr}`);
    }
    // The README's readiness probe: GET on the token path is a 405.
    const ready = await fetch(`${server.url}/api/token/`)
      .then((res) => res.status === 405)
      .catch(() => false);
    if (ready && server.workerPids().length === workers) break;
    await sleep(100);
  }
  server.stderr = () => stderr;
  return server;
}

function killGroup(pid) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

export const stopAll = () => Promise.all([...running].map((server) => server.stop()));

/** Last resort on exit: synchronous, no waiting. */
export function killAllNow() {
  for (const server of running) killGroup(server.pid);
}
