// Summarizes a V8 .cpuprofile: the hottest functions and where the time goes by
// area (a package, a server file, a Node subsystem), optionally only for the
// samples inside a time window. Used by `BENCH_PROFILE=ours npm run bench`, or
// on its own: node bench/profile.mjs file.cpuprofile
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SPECIAL = new Set(["(garbage collector)", "(idle)", "(program)", "(root)"]);

export function areaOf({ functionName, url }) {
  if (SPECIAL.has(functionName)) return functionName;
  if (url.includes("/node_modules/")) {
    const [first, second] = url.split("/node_modules/").pop().split("/");
    return first.startsWith("@") ? `${first}/${second}` : first;
  }
  if (url.includes("/dist/server/")) return `server/${url.split("/dist/server/").pop().replace(/\.js$/, ".ts")}`;
  if (url.includes("/bench/")) return `bench/${url.split("/bench/").pop()}`;
  if (url.startsWith("node:")) {
    const parts = url.slice("node:".length).split("/");
    return `node:${parts[0] === "internal" ? parts[1] : parts[0]}`.replace(/\.js$/, "");
  }
  return url ? url.split("/").pop() : "(native)";
}

/**
 * The layers of a request, by area (prefixes). A sample counts for the first
 * frame, from the leaf up, whose area names a layer: a socket write under
 * pg's connection is the database's, under respond.ts the response's.
 */
const LAYERS = [
  [
    "JWT: signing and verifying (server/crypto/jwt.ts, node:crypto; jose before)",
    ["jose", "node:crypto", "server/crypto/jwt.ts"],
  ],
  ["logging (pino, redaction)", ["pino", "@pinojs/", "sonic-boom", "server/logger.ts"]],
  ["metrics", ["server/observability/", "prom-client"]],
  [
    "REST: routing and dispatch",
    ["server/http/rest/handler.ts", "server/http/rest/compile.ts", "server/http/rest/routes.ts"],
  ],
  ["REST: body reading and parsing", ["server/http/rest/body.ts"]],
  ["REST: DRF coercion", ["server/http/rest/coerce.ts"]],
  ["REST: DRF rendering and errors", ["server/http/rest/render.ts", "server/http/rest/errors.ts"]],
  ["HTTP server: request id, headers, CORS, writing", ["server/http/"]],
  ["tRPC middleware chain", ["@trpc/server", "server/procedure-table.ts", "server/trpc.ts", "server/trpc-input.ts"]],
  ["Zod (input and output)", ["zod"]],
  ["SQL: building and compiling (Kysely, dialect, repositories)", ["kysely", "server/db/"]],
  ["SQL: pg driver, protocol and its socket", ["pg", "pg-protocol", "pg-pool", "pg-types", "postgres-"]],
  ["services, resolvers, context", ["server/"]],
];
export const layerOfArea = (area) =>
  LAYERS.find(([, prefixes]) => prefixes.some((prefix) => area === prefix || area.startsWith(prefix)))?.[0];

export function layerOf(areas) {
  for (const area of areas) {
    const layer = layerOfArea(area);
    if (layer) return layer;
  }
  const leaf = areas[0] ?? "";
  if (leaf === "(garbage collector)") return "garbage collection";
  if (/^node:(_http|net|stream|buffer|string_decoder)/.test(leaf)) return "Node: HTTP parsing, sockets";
  return "Node: event loop, promises, other";
}

const frameName = ({ functionName, url, lineNumber }) =>
  `${functionName || "(anonymous)"} ${url ? `${areaOf({ functionName, url })}:${lineNumber + 1}` : ""}`.trim();

/**
 * `window`: [from, to] in µs of the monotonic clock, to keep only those samples.
 * `requests`: how many were served meanwhile, to show the cost per request.
 */
export function summarizeProfile(file, { window, requests, top = 25 } = {}) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  let clock = profile.startTime;
  const all = profile.samples.map((id, index) => {
    clock += profile.timeDeltas[index];
    return { id, time: clock, micros: profile.timeDeltas[index] };
  });
  let kept = window ? all.filter(({ time }) => time >= window[0] && time <= window[1]) : all;
  let note = window ? "the measured run only" : "the whole process";
  if (kept.length === 0) {
    kept = all;
    note = "the whole process (no sample fell inside the window)";
  }

  const self = new Map();
  const inclusive = new Map();
  const areaSelf = new Map();
  const areaInclusive = new Map();
  const layerSelf = new Map();
  const add = (map, key, micros) => map.set(key, (map.get(key) ?? 0) + micros);
  for (const { id, micros } of kept) {
    const leaf = byId.get(id).callFrame;
    add(self, frameName(leaf), micros);
    add(areaSelf, areaOf(leaf), micros);
    const frames = new Set();
    const areas = new Set();
    const path = [];
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at).callFrame;
      if (frame.functionName === "(root)") continue;
      frames.add(frameName(frame));
      areas.add(areaOf(frame));
      path.push(areaOf(frame));
    }
    if (areaOf(leaf) !== "(idle)") add(layerSelf, layerOf(path), micros);
    for (const frame of frames) add(inclusive, frame, micros);
    for (const area of areas) add(areaInclusive, area, micros);
  }

  const total = kept.reduce((sum, sample) => sum + sample.micros, 0);
  const busy = total - (areaSelf.get("(idle)") ?? 0);
  const table = (title, map, rows) => {
    const lines = [`${title}`, ""];
    for (const [name, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
      const perRequest = requests ? `${(micros / requests).toFixed(1).padStart(7)} µs/req  ` : "";
      lines.push(`  ${((micros / busy) * 100).toFixed(1).padStart(5)}%  ${perRequest}${name}`);
    }
    return `${lines.join("\n")}\n\n`;
  };
  for (const map of [areaSelf, areaInclusive, self, inclusive]) {
    for (const key of map.keys()) if (key.startsWith("(idle)")) map.delete(key);
  }
  return (
    `${kept.length} samples over ${note}; the main thread was busy ${((busy / total) * 100).toFixed(0)}% of the time` +
    (requests ? `, ${(busy / requests).toFixed(0)} µs per request` : "") +
    ". Percentages are of the busy time. Busy includes time preempted inside a system call: on a small " +
    "machine every write that wakes PostgreSQL can cost a context switch, which shows as `writev`.\n\n" +
    table("By layer (each sample counted once):", layerSelf, LAYERS.length + 3) +
    table("Self time by area:", areaSelf, 15) +
    table("Time with the area on the stack:", areaInclusive, 20) +
    table("Self time by function:", self, top) +
    table("Time with the function on the stack:", inclusive, top)
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    console.error("usage: node bench/profile.mjs file.cpuprofile");
    process.exit(2);
  }
  process.stdout.write(summarizeProfile(process.argv[2]));
}
