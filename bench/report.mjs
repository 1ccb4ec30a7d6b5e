// Medians over rounds, ours/floor ratios (req/s, CPU per request, p99, RSS), the targets, and the Markdown table.

export const TARGETS = {
  throughput: { S1: 0.9, S2: 0.8, S3: 0.8, S4: 0.8, S5: 0.8, S6: 0.8 },
  /** Server CPU per request, ours/floor, at most. */
  cpuPerRequest: { S2: 1.25, S3: 1.25, S4: 1.25, S5: 1.25, S6: 1.25 },
  historyVsFresh: 0.95,
  p99: 2,
  rssPerWorker: 1.3,
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const mb = (bytes) => fixed(bytes / 2 ** 20, 0);

/** Per scenario and connection count: the medians of each server's runs. */
export function summarize(runs) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.scenario}@${run.connections}`;
    if (!groups.has(key))
      groups.set(key, { scenario: run.scenario, connections: run.connections, ours: [], floor: [] });
    groups.get(key)[run.kind].push(run);
  }
  return [...groups.values()].map((group) => {
    const stat = (kind, field) => median(group[kind].map((run) => run[field]));
    const side = (kind) => ({
      rps: stat(kind, "rps"),
      p50: stat(kind, "p50"),
      p99: stat(kind, "p99"),
      rssPerWorker: stat(kind, "rssPerWorker"),
      srvMs: stat(kind, "srvMsPerRequest"),
      pgMs: stat(kind, "pgMsPerRequest"),
      non2xx: group[kind].reduce((sum, run) => sum + run.non2xx, 0),
    });
    const all = [...group.ours, ...group.floor];
    const ours = side("ours");
    const floor = side("floor");
    return {
      scenario: group.scenario,
      connections: group.connections,
      ours,
      floor,
      ratio: ours.rps / floor.rps,
      p99Ratio: ours.p99 / floor.p99,
      cpuRatio: ours.srvMs / floor.srvMs,
      rssRatio: ours.rssPerWorker / floor.rssPerWorker,
      otherCores: Math.max(...all.map((run) => run.otherCores)),
    };
  });
}

/** The targets, checked at the smallest connection count (32 by default). */
export function checkTargets(rows) {
  const at = Math.min(...rows.map((row) => row.connections));
  const find = (scenario) => rows.find((row) => row.scenario === scenario && row.connections === at);
  const checks = [];
  const check = (name, value, bound, atMost = false) =>
    checks.push({ name, value, bound, atMost, pass: atMost ? value <= bound : value >= bound });
  for (const [scenario, bound] of Object.entries(TARGETS.throughput)) {
    const row = find(scenario);
    if (row) check(`${scenario} req/s ours/floor`, row.ratio, bound);
  }
  for (const [scenario, bound] of Object.entries(TARGETS.cpuPerRequest)) {
    const row = find(scenario);
    if (row) check(`${scenario} server CPU/req ours/floor`, row.cpuRatio, bound, true);
  }
  const fresh = find("S2");
  const history = find("S7");
  let note;
  if (fresh && history) {
    check("S7/S2 req/s (ours)", history.ours.rps / fresh.ours.rps, TARGETS.historyVsFresh);
    note = `For reference, the floor's S7/S2 is ${fixed(history.floor.rps / fresh.floor.rps, 2)}: what history costs the database itself.`;
  }
  for (const row of rows.filter((r) => r.connections === at)) {
    check(`${row.scenario} p99 ours/floor`, row.p99Ratio, TARGETS.p99, true);
  }
  for (const row of rows.filter((r) => r.connections === at)) {
    check(`${row.scenario} RSS/worker ours/floor`, row.rssRatio, TARGETS.rssPerWorker, true);
  }
  return { connections: at, checks, note };
}

export function markdown({ machine, settings, rows, targets, titles }) {
  const lines = [
    "# Benchmark: ours vs the floor",
    "",
    `- ${machine.cores} cores, ${machine.cpu}, ${machine.memory}`,
    `- Node ${machine.node}, PostgreSQL ${machine.postgres}`,
    `- ${settings.workers} workers each; ${settings.repeats} round(s) of ${settings.duration} s per run ` +
      `(after ${settings.warmup} s of warm-up per scenario and server), both servers up for every round and ` +
      "alternating run by run (S1 and S7 on servers of their own); " +
      `S7 with ${settings.history.toLocaleString("en")} refresh tokens of history`,
    `- ${machine.date}, ${machine.revision}`,
    settings.floor === "shared"
      ? "- The floor: `../shared/bench`'s own (`peers/floor/server-http.mjs`, on its own schema), `BENCH_FLOOR=shared`"
      : "- The floor: `bench/floor-server.mjs` (our schema; it checks the session an access token names), " +
        (settings.floorJwt === "node"
          ? "its HS256 by node:crypto's HMAC (`BENCH_FLOOR_JWT=node`)"
          : "its HS256 by jose (WebCrypto), as the shared harness's floor"),
    "",
    "Medians over rounds, load from `wrk -t1`. Latencies in ms. CPU per request in ms, read from /proc: *srv* is",
    "the server's processes, *pg* its PostgreSQL backends. RSS in MiB per worker (the peak of the sum over workers,",
    "divided by their number). *Other load*: the most CPU, in cores, that processes other than the bench, wrk, the",
    "server and its backends used during one of the row's runs; a high value means the row is less reliable.",
    "",
    "| scenario | conns | ours req/s | floor req/s | **ours/floor** | srv ms/req ours / floor | **CPU ratio** | pg ms/req ours / floor | p50 ours / floor | p99 ours / floor | p99 ratio | RSS ours / floor | RSS ratio | non-2xx ours / floor | other load |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario} ${titles[row.scenario]} | ${row.connections} | ${fixed(row.ours.rps, 0)} | ${fixed(row.floor.rps, 0)} | ` +
        `**${fixed(row.ratio, 2)}** | ${fixed(row.ours.srvMs, 3)} / ${fixed(row.floor.srvMs, 3)} | ` +
        `**${fixed(row.cpuRatio, 2)}** | ${fixed(row.ours.pgMs, 3)} / ${fixed(row.floor.pgMs, 3)} | ${fixed(row.ours.p50, 1)} / ${fixed(row.floor.p50, 1)} | ` +
        `${fixed(row.ours.p99, 1)} / ${fixed(row.floor.p99, 1)} | ${fixed(row.p99Ratio, 2)} | ` +
        `${mb(row.ours.rssPerWorker)} / ${mb(row.floor.rssPerWorker)} | ${fixed(row.rssRatio, 2)} | ` +
        `${row.ours.non2xx} / ${row.floor.non2xx} | ${fixed(row.otherCores, 2)} |`,
    );
  }
  lines.push(
    "",
    `Targets (at ${targets.connections} connections):`,
    "",
    "| target | value | bound | |",
    "| --- | ---: | ---: | --- |",
  );
  for (const check of targets.checks) {
    lines.push(
      `| ${check.name} | ${fixed(check.value, 2)} | ${check.atMost ? "≤" : "≥"} ${check.bound} | ${check.pass ? "PASS" : "**MISS**"} |`,
    );
  }
  if (targets.note) lines.push("", targets.note);
  return `${lines.join("\n")}\n`;
}
