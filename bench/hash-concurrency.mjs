// Argon2id throughput by how many hashes run at once: PROCESSES processes (as workers are), each
// verifying with CONCURRENCY at a time, at the server's parameters. Usage:
//   node bench/hash-concurrency.mjs                 # 1 and 2 processes x 1, 2, 4 at a time
//   node bench/hash-concurrency.mjs 2 4             # 2 processes, 4 at a time each
import { fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";

const ARGON2ID = 2;
const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: ARGON2ID };
const PER_PROCESS = 160;

async function child(concurrency) {
  const stored = await hash("correct horse", OPTIONS);
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < PER_PROCESS) await verify(stored, "correct horse");
    }),
  );
  const used = process.cpuUsage(cpu);
  process.send({ seconds: (performance.now() - started) / 1000, cpuMs: (used.user + used.system) / 1000 });
}

function run(processes, concurrency) {
  const children = Array.from({ length: processes }, () =>
    fork(new URL(import.meta.url), ["child", String(concurrency)], {
      env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(4, concurrency)) },
    }),
  );
  return Promise.all(children.map((c) => new Promise((resolve) => c.once("message", resolve)))).then((results) => {
    const perSecond = results.reduce((sum, r) => sum + PER_PROCESS / r.seconds, 0);
    const cpuPerHash = results.reduce((sum, r) => sum + r.cpuMs, 0) / (PER_PROCESS * processes);
    console.log(
      `| ${processes} | ${concurrency} | ${processes * concurrency} | ${perSecond.toFixed(0)} | ${cpuPerHash.toFixed(1)} |`,
    );
  });
}

if (process.argv[2] === "child") {
  await child(Number(process.argv[3]));
} else {
  console.log(`${availableParallelism()} cores; ${PER_PROCESS} verifications per process\n`);
  console.log(
    "| processes | at a time each | at once | hashes/s | CPU ms/hash |\n| ---: | ---: | ---: | ---: | ---: |",
  );
  const given = process.argv.slice(2).map(Number);
  const runs = given.length === 2 ? [given] : [1, 2].flatMap((p) => [1, 2, 4].map((c) => [p, c]));
  for (const [processes, concurrency] of runs) await run(processes, concurrency);
}
