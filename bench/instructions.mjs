// Instructions per request, counted by valgrind's callgrind: a repeatable
// measure of a server's own CPU cost on a machine too noisy for req/s to show a
// change of a few percent. Each server (one process, no cluster) runs under
// callgrind with instrumentation off; a plain client, outside valgrind, warms it up
// at full speed, then a fixed number of requests is counted. Instructions are
// not time (cache misses and the kernel are not in them), so `npm run bench`
// remains the measure of record; this one tells whether a change helped.
//
//   npm run build && node bench/instructions.mjs              # S3 and S4, ours and the floor
//   INSTR_SCENARIOS=S2,S5 INSTR_REQUESTS=4000 node bench/instructions.mjs
//   INSTR_KEEP=1 …   keeps the dumps, for callgrind_annotate
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createDatabase, createMinter, dropDatabase, seedUsers } from "./db.mjs";
import { loadFor, SCENARIOS } from "./scenarios.mjs";
import { sendAll } from "./send.mjs";
import { ENTRIES, freePort, LIFETIMES, SIGNING_KEY, serverEnv, startServer } from "./servers.mjs";

const env = process.env;
const settings = {
  scenarios: (env.INSTR_SCENARIOS ?? "S3,S4").split(","),
  requests: Number(env.INSTR_REQUESTS ?? 2000),
  // Enough for V8 to finish optimizing the request path; run at full speed, so cheap.
  warmup: Number(env.INSTR_WARMUP ?? 10_000),
  connections: 8,
  servers: (env.INSTR_SERVERS ?? "ours,floor").split(","),
  // e.g. "--perf-basic-prof": V8 then writes /tmp/perf-<pid>.map, which names the JIT code's addresses.
  nodeArgs: (env.INSTR_NODE_ARGS ?? "").split(" ").filter(Boolean),
  adminUrl: env.BENCH_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/postgres",
};

for (const id of settings.scenarios) if (!SCENARIOS[id] || id === "S7") throw new Error(`unsupported scenario ${id}`);

/** One server under callgrind: answers instructions per request of `scenario`. */
async function count(kind, scenario, url, context) {
  const port = await freePort();
  const out = mkdtempSync(join(tmpdir(), "bench-callgrind-"));
  // valgrind and callgrind_control name their shared files after these: both must see the same.
  const childEnv = {
    PATH: env.PATH ?? "",
    HOME: env.HOME ?? "/tmp",
    USER: env.USER ?? "bench",
    LOGNAME: env.LOGNAME ?? "bench",
    ...serverEnv(url, out),
    PORT: String(port),
    HOST: "127.0.0.1",
    WEB_CONCURRENCY: "1",
  };
  const child = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      "--instr-atstart=no",
      `--callgrind-out-file=${join(out, "callgrind.out")}`,
      // V8 writes and rewrites machine code.
      "--smc-check=all-non-file",
      process.execPath,
      // Compilation and GC on the main thread: fewer threads, steadier counts.
      "--single-threaded",
      ...settings.nodeArgs,
      ENTRIES[kind],
    ],
    // In the dump's folder: what V8 writes to its working directory (--perf-basic-prof's logs) goes with it.
    { cwd: out, env: childEnv, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const control = (...args) =>
    execFileSync("callgrind_control", [...args, String(child.pid)], { env: childEnv, stdio: "ignore" });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let waited = 0; ; waited += 500) {
      if (child.exitCode !== null) throw new Error(`${kind} exited under valgrind:\n${stderr}`);
      if (waited > 300_000) throw new Error(`${kind} did not start under valgrind in 5 minutes:\n${stderr}`);
      if (
        await fetch(`${base}/api/token/`).then(
          (res) => res.status === 405,
          () => false,
        )
      )
        break;
      await sleep(500);
    }
    // Fresh tokens for each call: a refresh chain uses each token once.
    await sendAll(base, await loadFor(scenario, context, settings.connections), settings.warmup, settings.connections);
    const load = await loadFor(scenario, context, settings.connections);
    control("--instr=on");
    const result = await sendAll(base, load, settings.requests, settings.connections);
    control("--dump");
    if (result.failed > 0) throw new Error(`${kind} ${scenario}: ${result.failed} not 2xx`);
    let instructions = 0;
    for (const name of readdirSync(out)) {
      if (!name.startsWith("callgrind.out")) continue;
      const summary = /^(?:summary|totals):\s*(\d+)/m.exec(readFileSync(join(out, name), "utf8"));
      instructions += Number(summary?.[1] ?? 0);
    }
    return instructions / result.sent;
  } finally {
    child.kill("SIGKILL");
    if (env.INSTR_KEEP === "1") console.error(`${kind} ${scenario}: callgrind dumps kept in ${out} (pid ${child.pid})`);
    else rmSync(out, { recursive: true, force: true });
  }
}

const name = `bench_instr_${process.pid}`;
const url = await createDatabase(settings.adminUrl, name);
try {
  // Our server applies the migrations when it starts; started once without valgrind for that.
  const migrated = await startServer("ours", { env: serverEnv(url, tmpdir()), workers: 1 });
  await migrated.stop();
  const userIds = await seedUsers(url, 2 * settings.connections);
  const context = { url, userIds, minter: createMinter(url, SIGNING_KEY, LIFETIMES) };
  console.log(`| scenario | ours (k instr/req) | floor (k instr/req) | floor/ours |\n| --- | ---: | ---: | ---: |`);
  for (const scenario of settings.scenarios) {
    const counted = {};
    for (const kind of settings.servers) {
      counted[kind] = await count(kind, scenario, url, context);
    }
    const k = (kind) => (counted[kind] === undefined ? "–" : (counted[kind] / 1000).toFixed(0));
    const ratio = counted.ours && counted.floor ? (counted.floor / counted.ours).toFixed(2) : "–";
    console.log(`| ${scenario} | ${k("ours")} | ${k("floor")} | ${ratio} |`);
  }
} finally {
  await dropDatabase(settings.adminUrl, name);
}
