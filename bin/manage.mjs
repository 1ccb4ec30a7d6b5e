#!/usr/bin/env node
// `npm run manage -- <command>`, or `bin/manage.mjs <command>`: the command
// line runs from the build in dist/. The compiler runs first only when a
// source file is newer than the last build, so that a command costs the time
// of the command, not of a build.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const entry = join(root, "dist", "server", "cli", "main.js");
// tsc (incremental) writes it at the end of every build that changed something.
const buildInfo = join(root, "dist", ".tsbuildinfo");

function newestSource(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    if (item.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (item.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sources = Math.max(
  newestSource(join(root, "server")),
  statSync(join(root, "tsconfig.json")).mtimeMs,
  statSync(join(root, "tsconfig.build.json")).mtimeMs,
);

if (!existsSync(entry) || !existsSync(buildInfo) || sources > statSync(buildInfo).mtimeMs) {
  process.stderr.write("Building the command line (sources changed since the last build)…\n");
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(1);
  // An unchanged build leaves the file as it was; the sources are not newer for all that
  // (nor is one whose clock is ahead). A millisecond past the newest source, because
  // file times round-trip through floating-point seconds and can come back a hair lower.
  const stamp = new Date(Math.max(Date.now(), Math.ceil(sources) + 1));
  utimesSync(buildInfo, stamp, stamp);
}

await import(pathToFileURL(entry).href);
