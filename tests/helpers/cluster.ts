import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { projectRoot } from "../../server/paths.js";
import type { TestDatabase } from "./database.js";
import { baseEnv, entry, type RunningServer, startServer } from "./process.js";

/**
 * The server with two worker processes over this file's database: on
 * PostgreSQL, `dist/server/main.js` itself; on PGlite, which one process owns,
 * the same supervision and app with a database per worker (fixtures/pglite-cluster.mjs).
 */
export function startCluster(database: TestDatabase, env: Record<string, string> = {}): Promise<RunningServer> {
  const command = clusterCommand(database, env);
  return startServer(command.env, 2, command.file);
}

/** The entry file and environment of a two-worker server over this file's database. */
export function clusterCommand(database: TestDatabase, env: Record<string, string> = {}) {
  if (database.url) {
    return { file: entry("server"), env: baseEnv({ DATABASE_URL: database.url, WEB_CONCURRENCY: "2", ...env }) };
  }
  return {
    file: join(projectRoot, "tests", "processes", "fixtures", "pglite-cluster.mjs"),
    env: baseEnv({ PGLITE_TEMPLATE: inject("databaseTemplate"), WEB_CONCURRENCY: "2", ...env }),
  };
}

/** The pids of a process's children (Linux). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The pids of the workers that logged "listening". */
export const listeningPids = (server: RunningServer): number[] =>
  server
    .logs()
    .filter((line) => line.msg === "listening")
    .map((line) => Number(line.pid));

/** One series' value in a Prometheus exposition, or undefined. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Resolves with the exit code once the process is gone. */
export const exitOf = (server: RunningServer): Promise<number | null> =>
  new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve(server.child.exitCode);
    server.child.once("exit", (code) => resolve(code));
  });
