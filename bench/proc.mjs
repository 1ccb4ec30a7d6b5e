// What /proc tells about the processes under test: their children, memory and
// CPU time, and how busy the rest of the machine is.
import { readdirSync, readFileSync } from "node:fs";

const PAGE = 4096;
// USER_HZ: the unit of the CPU times in /proc/<pid>/stat, 100 on Linux.
const TICK_MS = 10;

/** The fields of /proc/<pid>/stat after the command name, which may hold spaces and parentheses. */
const fieldsAfterName = (stat) => stat.slice(stat.lastIndexOf(")") + 2).split(" ");

const statOf = (pid) => {
  try {
    return fieldsAfterName(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined; // It exited.
  }
};

/** Processes whose parent is `pid` (the cluster's workers). */
export function childrenOf(pid) {
  const children = [];
  for (const entry of readdirSync("/proc")) {
    if (/^\d+$/.test(entry) && Number(statOf(entry)?.[1]) === pid) children.push(Number(entry));
  }
  return children;
}

/** User and system CPU time of a process, in ms (0 once it has exited). */
export const cpuMs = (pid) => {
  const fields = statOf(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) * TICK_MS : 0;
};

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

/**
 * CPU time spent by a changing set of processes between now and the call of
 * the answer: `pids()` is asked at both ends, and a process that appeared
 * meanwhile counts whole (a database connection opened during the run).
 */
export function cpuMeter(pids) {
  const before = new Map();
  return pids().then((list) => {
    for (const pid of list) before.set(pid, cpuMs(pid));
    return async () => {
      let used = 0;
      for (const pid of new Set([...before.keys(), ...(await pids())])) {
        used += Math.max(0, cpuMs(pid) - (before.get(pid) ?? 0));
      }
      return used;
    };
  });
}

function machineTicks() {
  // user nice system idle iowait irq softirq steal; guest time is already inside user.
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { total, busy: total - fields[3] - fields[4] };
}

/**
 * The machine is shared: the CPU, in cores, that processes other than those
 * measured used meanwhile. `measuredMs()` answers what the measured ones used.
 */
export function otherLoad(cores) {
  const before = machineTicks();
  return (measuredMs) => {
    const after = machineTicks();
    const total = after.total - before.total;
    const busyMs = (after.busy - before.busy) * TICK_MS;
    return total > 0 ? (Math.max(0, busyMs - measuredMs) / (total * TICK_MS)) * cores : 0;
  };
}

/** CPU time of this process and of its children it has reaped (the wrk runs), in ms. */
export function selfMs() {
  const fields = statOf(process.pid) ?? [];
  return [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index] ?? 0), 0) * TICK_MS;
}

/**
 * Waits until `pids` use at most 10 ms of CPU in each of two 250 ms windows
 * (at most `maxMs`): requests wrk left queued are still served after it stops,
 * and the next run must not pay for them (as ../shared/bench's drain).
 */
export async function waitIdle(pids, maxMs = 60_000) {
  const used = () => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const started = Date.now();
  let previous = used();
  let quiet = 0;
  while (quiet < 2 && Date.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = used();
    quiet = now - previous <= TICK_MS ? quiet + 1 : 0;
    previous = now;
  }
}
