// Drives load with wrk (one thread, bench/load.lua): the cheapest generator on
// the machine, so that it takes as little CPU from the servers as it can.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./load.lua", import.meta.url));

/** Exits with a clear message when wrk is not installed. */
export function requireWrk() {
  if (spawnSync("wrk", ["--version"]).error) {
    console.error("npm run bench needs wrk: install wrk: apt-get install wrk");
    process.exit(1);
  }
}

/** One request as wrk replays it: HTTP/1.1 bytes, keep-alive. */
export function rawRequest({ method, path, headers = {}, body }, host) {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${body ?? ""}`);
}

/** Writes the files load.lua reads for `load` (see scenarios.mjs); answers the settings file. */
function writeLoad(dir, load, host) {
  const lines = [];
  if (load.chain) {
    writeFileSync(join(dir, "tokens"), `${load.chain.tokens.join("\n")}\n`);
    lines.push(`chain ${join(dir, "tokens")}`, `path ${load.chain.path}`, `field ${load.chain.field}`);
  } else {
    const records = load.requests.flatMap((request) => {
      const raw = rawRequest(request, host);
      return [Buffer.from(`${raw.length}\n`), raw];
    });
    writeFileSync(join(dir, "requests"), Buffer.concat(records));
    lines.push(`requests ${join(dir, "requests")}`);
  }
  writeFileSync(join(dir, "settings"), `${lines.join("\n")}\n`);
  return join(dir, "settings");
}

const running = new Set();

/**
 * One wrk run of `seconds` at `connections`. Answers its summary: requests,
 * req/s, p50/p99 in ms, non-2xx, socket errors, and the first failure's status and body.
 */
export async function runWrk(url, load, connections, seconds) {
  const dir = mkdtempSync(join(tmpdir(), "bench-wrk-"));
  try {
    const settings = writeLoad(dir, load, new URL(url).host);
    const child = spawn("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "30s", "-s", SCRIPT, url], {
      env: { ...process.env, BENCH_LOAD: settings },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      out += chunk;
    });
    const code = await new Promise((resolve) => child.once("exit", resolve));
    running.delete(child);
    const line = /^WRK (.*)$/m.exec(out);
    if (!line) throw new Error(`wrk failed (exit ${code}):\n${out.slice(-2000)}`);
    const result = JSON.parse(line[1]);
    return {
      ...result,
      rps: result.requests / (result.durationUs / 1e6),
      p50: result.p50Us / 1000,
      p99: result.p99Us / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const stopLoad = () => {
  for (const child of running) child.kill("SIGKILL");
};
