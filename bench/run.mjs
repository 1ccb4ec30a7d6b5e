// `npm run bench`: our server against the floor (floor-server.mjs) on one
// PostgreSQL, alternately, scenario by scenario, loaded by wrk; see bench/README.md.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import {
  addHistory,
  addUsedJtiHistory,
  checkpoint,
  createDatabase,
  createMinter,
  dropDatabase,
  postgresPids,
  seedUsers,
} from "./db.mjs";
import { cpuMeter, otherLoad, sampleRss, selfMs, waitIdle } from "./proc.mjs";
import { summarizeProfile } from "./profile.mjs";
import { checkTargets, markdown, summarize } from "./report.mjs";
import { loadFor, SCENARIOS } from "./scenarios.mjs";
import {
  serverEnv as benchServerEnv,
  ENTRIES,
  killAllNow,
  LIFETIMES,
  SIGNING_KEY,
  startServer,
  stopAll,
  useSharedFloor,
} from "./servers.mjs";
import { requireWrk, runWrk, stopLoad } from "./wrk.mjs";

const env = process.env;
const quick = env.BENCH_QUICK === "1";
const number = (value, fallback) => (value === undefined || value === "" ? fallback : Number(value));
const settings = {
  duration: number(env.BENCH_DURATION, quick ? 2 : 10),
  repeats: number(env.BENCH_REPEATS, quick ? 1 : 3),
  // A fresh server takes several seconds of load to reach its steady speed (JIT, pools).
  warmup: number(env.BENCH_WARMUP, quick ? 2 : 5),
  connections: (env.BENCH_CONNECTIONS ?? "32").split(",").map(Number),
  history: number(env.BENCH_HISTORY, quick ? 50_000 : 1_000_000),
  workers: number(env.WEB_CONCURRENCY, 2),
  scenarios: (env.BENCH_SCENARIOS || Object.keys(SCENARIOS).join(",")).split(",").map((id) => id.trim()),
  adminUrl: env.BENCH_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/postgres",
  // "ours" or "floor": CPU-profile that server alone instead (one worker, one start per scenario).
  profile: env.BENCH_PROFILE,
  // "ours" (bench/floor-server.mjs, on our schema) or "shared" (../shared/bench's floor, on its own).
  floor: env.BENCH_FLOOR || "ours",
  // "node": our floor computes HS256 with node:crypto, as our server does, instead of jose (floor-server.mjs).
  floorJwt: env.BENCH_FLOOR_JWT || "jose",
  sharedBench: env.BENCH_SHARED_DIR ?? fileURLToPath(new URL("../../shared/bench/", import.meta.url)),
};
const resultsDir = fileURLToPath(new URL("./results/", import.meta.url));

for (const id of settings.scenarios) if (!SCENARIOS[id]) throw new Error(`unknown scenario ${id}`);
if (settings.profile && !ENTRIES[settings.profile]) throw new Error("BENCH_PROFILE must be ours or floor");
if (!["ours", "shared"].includes(settings.floor)) throw new Error("BENCH_FLOOR must be ours or shared");
if (!["jose", "node"].includes(settings.floorJwt)) throw new Error("BENCH_FLOOR_JWT must be jose or node");
requireWrk();
if (settings.floor === "shared") useSharedFloor(settings.sharedBench);
if (!existsSync(ENTRIES.ours)) {
  console.error("dist/server/main.js is missing: run `npm run build` first (npm run bench does).");
  process.exit(1);
}

const tag = `bench_${process.pid}`;
const databases = { main: tag, history: `${tag}_history`, floor: `${tag}_floor`, floorHistory: `${tag}_floor_history` };
const outbox = mkdtempSync(join(tmpdir(), "bench-outbox-"));
let cleaning;

/** Stops everything this run started and drops its databases; safe to call twice. */
function cleanup() {
  cleaning ??= (async () => {
    stopLoad();
    await stopAll();
    for (const name of Object.values(databases)) {
      await dropDatabase(settings.adminUrl, name).catch((error) => console.error(`cannot drop ${name}: ${error}`));
    }
    rmSync(outbox, { recursive: true, force: true });
  })();
  return cleaning;
}
process.on("exit", killAllNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers and dropping the bench databases`);
    cleanup().finally(() => process.exit(130));
  });
}

const serverEnv = (url) => benchServerEnv(url, outbox);

const failures = [];
// The clock of V8's profiler samples too (CLOCK_MONOTONIC, µs), so that a profile can be cut to the measured runs.
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);
const log = (line) => process.stderr.write(`${line}\n`);

async function measure(server, scenario, context, connections, round, workers) {
  const load = await loadFor(scenario, context, connections);
  const workerPids = server.workerPids();
  const tree = [server.pid, ...workerPids];
  const stopSampling = sampleRss(workerPids);
  const serverCpu = await cpuMeter(async () => tree);
  const postgresCpu = await cpuMeter(() => postgresPids(context.url));
  const others = otherLoad(availableParallelism());
  const benchBefore = selfMs();
  const started = monotonicMicros();
  const result = await runWrk(server.url, load, connections, settings.duration);
  const window = [started, monotonicMicros()];
  const srvMs = await serverCpu();
  const pgMs = await postgresCpu();
  const peakRss = stopSampling();
  const otherCores = others(srvMs + pgMs + selfMs() - benchBefore);
  const served = result.requests;
  const run = {
    kind: server.kind,
    scenario,
    connections,
    round,
    rps: result.rps,
    requests: served,
    p50: result.p50,
    p99: result.p99,
    srvMsPerRequest: srvMs / served,
    pgMsPerRequest: pgMs / served,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCodes: result.statuses,
    peakRss,
    rssPerWorker: peakRss / workers,
    otherCores,
    window,
  };
  log(
    `  ${server.kind.padEnd(5)} ${scenario} @${String(connections).padEnd(3)} ${run.rps.toFixed(0).padStart(6)} req/s ` +
      `p50 ${run.p50.toFixed(1)} ms  p99 ${run.p99.toFixed(1)} ms  CPU/req srv ${run.srvMsPerRequest.toFixed(3)} ms ` +
      `pg ${run.pgMsPerRequest.toFixed(3)} ms  RSS ${(run.rssPerWorker / 2 ** 20).toFixed(0)} MiB/worker  ` +
      `other load ${otherCores.toFixed(2)} cores` +
      (run.non2xx || run.errors ? `  non-2xx ${run.non2xx} errors ${run.errors}` : ""),
  );
  if (run.non2xx > 0 || run.errors > 0 || result.starved > 0) {
    failures.push(
      `${server.kind} ${scenario} @${connections} round ${round}: ${run.non2xx} non-2xx ${JSON.stringify(run.statusCodes)}, ` +
        `${run.errors} socket errors, ${result.starved} requests without a token` +
        (result.firstFailure ? `; first: ${result.firstFailure}` : ""),
    );
  }
  return run;
}

const KINDS = ["ours", "floor"];

/**
 * Both servers started once for `scenarios` and kept up for every round, as
 * ../shared/bench keeps its targets: each scenario warmed up once per server,
 * then round → scenario → connections → server, the first server alternating
 * from one block to the next, each run followed by waiting out what wrk left queued.
 */
async function alternate(database, scenarios, targets) {
  const servers = {};
  const contexts = {};
  const runs = [];
  try {
    for (const kind of KINDS) {
      const url = targets[kind][database];
      await checkpoint(url);
      servers[kind] = await startServer(kind, { env: serverEnv(url), workers: settings.workers });
      contexts[kind] = contextFor(kind, url, targets.userIds);
    }
    const warm = Math.min(...settings.connections);
    log(`warming up ${scenarios.join(" ")} (${settings.warmup} s each per server)`);
    for (const scenario of scenarios) {
      for (const kind of KINDS) {
        if (settings.warmup <= 0) continue;
        await runWrk(servers[kind].url, await loadFor(scenario, contexts[kind], warm), warm, settings.warmup);
        await waitIdle([servers[kind].pid, ...servers[kind].workerPids()]);
      }
    }
    let block = 0;
    for (let round = 1; round <= settings.repeats; round += 1) {
      log(`round ${round}/${settings.repeats}: ${scenarios.join(" ")}`);
      for (const scenario of scenarios) {
        for (const connections of settings.connections) {
          const order = KINDS.map((_, i) => KINDS[(i + block) % KINDS.length]);
          block += 1;
          for (const kind of order) {
            const server = servers[kind];
            runs.push(await measure(server, scenario, contexts[kind], connections, round, settings.workers));
            await waitIdle([server.pid, ...server.workerPids()]);
          }
        }
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
  return runs;
}

/** One server start (BENCH_PROFILE): each scenario warmed up, then measured at each connection count. */
async function session(kind, url, scenarios, context, round, { workers = settings.workers, nodeArgs = [] } = {}) {
  await checkpoint(url);
  const server = await startServer(kind, { env: serverEnv(url), workers, nodeArgs });
  const runs = [];
  try {
    for (const scenario of scenarios) {
      if (settings.warmup > 0) {
        const warm = Math.min(...settings.connections);
        await runWrk(server.url, await loadFor(scenario, context, warm), warm, settings.warmup);
      }
      for (const connections of settings.connections) {
        runs.push(await measure(server, scenario, context, connections, round, workers));
      }
    }
  } finally {
    await server.stop();
  }
  return runs;
}

async function machine(url) {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query("show server_version");
  await client.end();
  const git = (...args) => execFileSync("git", args, { cwd: fileURLToPath(new URL("..", import.meta.url)) }).toString();
  let revision = "not a git checkout";
  try {
    const dirty = git("status", "--porcelain", "--", "server", "migrations", "package.json").trim() !== "";
    revision = `commit ${git("rev-parse", "--short", "HEAD").trim()}${dirty ? " with uncommitted server changes" : ""}`;
  } catch {}
  return {
    revision,
    cores: availableParallelism(),
    cpu,
    memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    node: process.versions.node,
    postgres: rows[0].server_version,
    date: new Date().toISOString(),
  };
}

/**
 * Per server, a migrated database with the users and their tasks (readers and
 * as many writers, see scenarios.mjs), and its copy with refresh-token history
 * for S7. The floor shares ours unless it is the shared harness's, which has a schema of its own.
 */
async function prepareDatabases() {
  const users = 2 * Math.max(...settings.connections);
  const withS7 = settings.scenarios.includes("S7");
  const prepare = async (kind, main, history, seed, addHistoryTo) => {
    const mainUrl = await createDatabase(settings.adminUrl, main);
    // The servers apply their migrations at start, as in production.
    await (await startServer(kind, { env: serverEnv(mainUrl), workers: 1 })).stop();
    const userIds = await seed(mainUrl);
    if (!withS7) return { main: mainUrl, userIds };
    log(`adding ${settings.history} refresh tokens of history for ${kind}…`);
    const historyUrl = await createDatabase(settings.adminUrl, history, main);
    await addHistoryTo(historyUrl, userIds);
    return { main: mainUrl, history: historyUrl, userIds };
  };
  const ours = await prepare(
    "ours",
    databases.main,
    databases.history,
    (url) => seedUsers(url, users),
    (url, ids) => addHistory(url, ids, settings.history),
  );
  if (settings.floor === "ours") return { ours, floor: ours, userIds: ours.userIds };
  const floor = await prepare(
    "floor",
    databases.floor,
    databases.floorHistory,
    (url) => seedUsers(url, users, { passwordColumn: "password" }),
    (url) => addUsedJtiHistory(url, settings.history),
  );
  // The scenarios name users by id, one list for both servers: it must hold in both databases.
  if (floor.userIds.join() !== ours.userIds.join()) throw new Error("the floor's user ids differ from ours");
  return { ours, floor, userIds: ours.userIds };
}

const contextFor = (kind, url, userIds) => ({
  url,
  userIds,
  minter: createMinter(url, SIGNING_KEY, LIFETIMES, { sessions: kind === "ours" || settings.floor === "ours" }),
});

async function compare() {
  const targets = await prepareDatabases();
  // S1 on servers of its own: Argon2's 19 MiB blocks stay in the allocator and would inflate every later RSS reading.
  const groups = [
    ["main", settings.scenarios.filter((id) => id !== "S1" && id !== "S7")],
    ["main", settings.scenarios.filter((id) => id === "S1")],
    ["history", settings.scenarios.filter((id) => id === "S7")],
  ].filter(([, scenarios]) => scenarios.length > 0);

  const runs = [];
  for (const [database, scenarios] of groups) runs.push(...(await alternate(database, scenarios, targets)));

  const rows = summarize(runs).sort((a, b) => a.scenario.localeCompare(b.scenario) || a.connections - b.connections);
  const titles = Object.fromEntries(Object.entries(SCENARIOS).map(([id, { title }]) => [id, title]));
  const report = markdown({
    machine: await machine(targets.ours.main),
    settings,
    rows,
    targets: checkTargets(rows),
    titles,
  });
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "latest.md"), report);
  writeFileSync(join(resultsDir, "latest.json"), `${JSON.stringify({ settings, runs }, null, 2)}\n`);
  process.stdout.write(`\n${report}\nWritten to bench/results/latest.md (raw runs in latest.json).\n`);
}

/** BENCH_PROFILE: one server start per scenario under --cpu-prof, cut to the measured run and summarized. */
async function profile(kind) {
  const targets = await prepareDatabases();
  const dir = join(resultsDir, "profiles");
  mkdirSync(dir, { recursive: true });
  settings.connections = settings.connections.slice(0, 1);
  for (const scenario of settings.scenarios) {
    const url = targets[kind][scenario === "S7" ? "history" : "main"];
    const name = `${kind}-${scenario}.cpuprofile`;
    const nodeArgs = ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
    log(`profiling ${kind} ${scenario} (${SCENARIOS[scenario].title})`);
    const context = contextFor(kind, url, targets.userIds);
    const [run] = await session(kind, url, [scenario], context, 1, { workers: 1, nodeArgs });
    process.stdout.write(`\n## ${kind} ${scenario}: ${SCENARIOS[scenario].title}, ${run.rps.toFixed(0)} req/s\n\n`);
    process.stdout.write(summarizeProfile(join(dir, name), { window: run.window, requests: run.requests }));
  }
  process.stdout.write(`\nProfiles in bench/results/profiles/ (open them in Chrome DevTools or speedscope).\n`);
}

let exitCode = 0;
try {
  await (settings.profile ? profile(settings.profile) : compare());
  if (failures.length > 0) {
    console.error(`\nUnexpected failures (the numbers above measure something else):\n- ${failures.join("\n- ")}`);
    exitCode = 1;
  }
} catch (error) {
  console.error(`\nbench failed: ${error?.stack ?? error}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
