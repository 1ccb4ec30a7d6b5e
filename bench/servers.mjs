// Starting and stopping the servers under test, and reading their memory from /proc.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export const ENTRIES = {
  ours: fileURLToPath(new URL("../dist/server/main.js", import.meta.url)),
  floor: fileURLToPath(new URL("./floor-server.mjs", import.meta.url)),
};

/** The servers' settings, shared by every bench script: the bench signs tokens with the same key. */
export const SIGNING_KEY = "bench-signing-key-0123456789-0123456789-abcdef";
export const LIFETIMES = { access: 3600, refresh: 86400 };

/** The environment both servers run with (`startServer` adds the port, host and workers). */
export const serverEnv = (url, outbox) => ({
  NODE_ENV: "production",
  DATABASE_URL: url,
  JWT_SIGNING_KEY: SIGNING_KEY,
  // Production asks for one (it protects /metrics); the floor ignores it.
  METRICS_TOKEN: "bench-metrics-token-0123456789",
  ACCESS_TOKEN_LIFETIME: String(LIFETIMES.access),
  REFRESH_TOKEN_LIFETIME: String(LIFETIMES.refresh),
  LOG_LEVEL: "silent",
  MAIL_OUTBOX_DIR: outbox,
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

/** The fields of /proc/<pid>/stat after the command name, which may hold spaces and parentheses. */
const fieldsAfterName = (stat) => stat.slice(stat.lastIndexOf(")") + 2).split(" ");

/** Processes whose parent is `pid` (the cluster's workers). */
export function childrenOf(pid) {
  const children = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(fieldsAfterName(readFileSync(`/proc/${entry}/stat`, "utf8"))[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // It exited while we looked.
    }
  }
  return children;
}

const PAGE = 4096;
const rssOf = (pid) => {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE;
  } catch {
    return 0;
  }
};

/** Samples the summed RSS of `pids` until stopped; answers the peak in bytes. */
export function sampleRss(pids, everyMs = 100) {
  let peak = 0;
  const take = () => {
    peak = Math.max(
      peak,
      pids.reduce((sum, pid) => sum + rssOf(pid), 0),
    );
  };
  take();
  const timer = setInterval(take, everyMs);
  return () => {
    clearInterval(timer);
    take();
    return peak;
  };
}

const cpuTicks = (pid) => {
  try {
    const fields = fieldsAfterName(readFileSync(`/proc/${pid}/stat`, "utf8"));
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
};

function machineTicks() {
  // user nice system idle iowait irq softirq steal; guest time is already inside user.
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { total, busy: total - fields[3] - fields[4] };
}

/**
 * The machine is shared: measures the CPU that processes other than `pids` used
 * meanwhile, in cores. Processes that exit during the run count as others.
 */
export function otherLoad(pids, cores) {
  const before = machineTicks();
  const ours = new Map(pids.map((pid) => [pid, cpuTicks(pid)]));
  return () => {
    const after = machineTicks();
    let used = 0;
    for (const [pid, start] of ours) used += Math.max(0, cpuTicks(pid) - start);
    const total = after.total - before.total;
    return total > 0 ? (Math.max(0, after.busy - before.busy - used) / total) * cores : 0;
  };
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
    stdio: ["ignore", "ignore", "pipe"],
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
