// Instructions per request by layer, from a callgrind dump of bench/instructions.mjs
// run with INSTR_KEEP=1 INSTR_NODE_ARGS=--perf-basic-prof (V8 then writes
// /tmp/perf-<pid>.map, which names the JIT code's addresses).
//
//   node bench/callgrind-layers.mjs <dump> /tmp/perf-<pid>.map <requests>
//
// callgrind records who called whom, not whole stacks. A native function's
// own instructions (a builtin, the runtime, libc) go to its callers in
// proportion to what each call cost, up to the nearest JavaScript function,
// whose file names the layer as in bench/profile.mjs; garbage collection and
// optimizing compilation are layers of their own, whoever triggered them.
import { readFileSync } from "node:fs";
import { areaOf, layerOf, layerOfArea } from "./profile.mjs";

const [dumpFile, mapFile, requestsArg] = process.argv.slice(2);
if (!dumpFile || !mapFile || !requestsArg) {
  console.error("usage: node bench/callgrind-layers.mjs <callgrind dump> <perf map> <requests>");
  process.exit(2);
}
const requests = Number(requestsArg);

const code = readFileSync(mapFile, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => {
    const [start, size, ...name] = line.split(" ");
    return {
      start: Number.parseInt(start, 16),
      end: Number.parseInt(start, 16) + Number.parseInt(size, 16),
      name: name.join(" "),
    };
  })
  .sort((a, b) => a.start - b.start);

function jitName(address) {
  let low = 0;
  let high = code.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (code[middle].start <= address) low = middle + 1;
    else high = middle - 1;
  }
  const entry = code[high];
  return entry && address < entry.end ? entry.name : "(unnamed JIT code)";
}

const names = new Map();
const nameOf = (token) => {
  const [, id, name] = /^\((\d+)\)(?: (.*))?$/.exec(token.trim()) ?? [];
  if (name !== undefined) names.set(id, /^0x[0-9a-f]+$/.test(name) ? jitName(Number.parseInt(name, 16)) : name);
  return names.get(id);
};

const selfCost = new Map();
const callers = new Map(); // callee -> Map(caller -> cost)
let current;
let callee;
let pendingCall = false;
for (const line of readFileSync(dumpFile, "utf8").split("\n")) {
  if (line.startsWith("fn=")) current = nameOf(line.slice(3));
  else if (line.startsWith("cfn=")) callee = nameOf(line.slice(4));
  else if (line.startsWith("calls=")) pendingCall = true;
  else if (/^[0-9+\-*]/.test(line)) {
    const cost = Number(line.split(" ")[1] ?? 0);
    if (pendingCall) {
      pendingCall = false;
      if (callee === current) continue;
      const into = callers.get(callee) ?? new Map();
      into.set(current, (into.get(current) ?? 0) + cost);
      callers.set(callee, into);
    } else {
      selfCost.set(current, (selfCost.get(current) ?? 0) + cost);
    }
  }
}

const GC = /Scavenge|MarkCompact|Sweeper|Marking|Evacuat|Heap::Collect|GarbageCollect|ConcurrentMark|MinorMC/;
const COMPILE = /Compiler::Compile|CompileOptimized|compiler::Pipeline|Maglev|BaselineBatchCompile/;

/** `JS:*name url:line:col` as profile.mjs's frame, for its areas. */
function jsFrame(name) {
  const match = /^JS:[*~^+-]?(\S*) (\S+?):\d+:\d+$/.exec(name) ?? /^JS:[*~^+-]?(\S*) (\S+)$/.exec(name);
  return match ? { functionName: match[1], url: match[2] } : undefined;
}

/** Where the walk up from a function ends without a caller that names a layer. */
function rootLayer(name, frame) {
  if (frame) return layerOf([areaOf(frame)]);
  if (/llhttp|Parser::|uv__read|uv__write|uv__stream|writev|__libc_(read|write)|epoll/.test(name)) {
    return "Node: HTTP parsing, sockets";
  }
  return "Node: event loop, promises, other";
}

const owners = new Map(); // function -> Map(layer -> share)
function ownersOf(name, visiting = new Set()) {
  const known = owners.get(name);
  if (known) return known;
  const shares = new Map();
  const add = (layer, share) => shares.set(layer, (shares.get(layer) ?? 0) + share);
  const frame = name.startsWith("JS:") ? jsFrame(name) : undefined;
  const layer = frame && layerOfArea(areaOf(frame));
  if (GC.test(name)) add("garbage collection", 1);
  else if (COMPILE.test(name)) add("V8: optimizing compilation", 1);
  else if (layer) add(layer, 1);
  else {
    // Native code, or Node's own JavaScript (streams, sockets): it works for whoever called it.
    const from = callers.get(name);
    const total = from ? [...from.values()].reduce((sum, cost) => sum + cost, 0) : 0;
    if (!from || total === 0 || visiting.has(name)) add(rootLayer(name, frame), 1);
    else {
      visiting.add(name);
      for (const [caller, cost] of from) {
        for (const [owner, share] of ownersOf(caller, visiting)) add(owner, (share * cost) / total);
      }
      visiting.delete(name);
    }
  }
  // Memoized even inside a cycle: a cycle's back edge counts once, where it closes.
  owners.set(name, shares);
  return shares;
}

const byLayer = new Map();
let total = 0;
for (const [name, cost] of selfCost) {
  total += cost;
  for (const [layer, share] of ownersOf(name)) byLayer.set(layer, (byLayer.get(layer) ?? 0) + cost * share);
}
console.log(`${(total / requests / 1000).toFixed(0)}k instructions per request\n`);
console.log("| layer | k instructions per request | share |\n| --- | ---: | ---: |");
for (const [layer, cost] of [...byLayer].sort((a, b) => b[1] - a[1])) {
  console.log(`| ${layer} | ${(cost / requests / 1000).toFixed(1)} | ${((cost / total) * 100).toFixed(1)}% |`);
}
