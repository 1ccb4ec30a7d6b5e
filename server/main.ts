import cluster from "node:cluster";
import { createApp } from "./app.js";
import { type Config, ConfigError } from "./config/config.js";
import { configFromProcessEnv } from "./config/from-process.js";
import { connectDatabase, type DatabaseHandle } from "./db/connect.js";
import { migrateToLatest } from "./db/migrate.js";
import { DirectoryBusyError } from "./db/pglite/directory.js";
import { tuneHeap } from "./heap.js";
import { createLogger, type Logger } from "./logger.js";
import { serveClusterMetrics } from "./observability/metrics.js";
import { migrationsDir } from "./paths.js";

/**
 * `npm start`: validate the environment, apply pending migrations, then serve
 * with WEB_CONCURRENCY processes (one when the database is embedded PGlite).
 */
function readConfig(): Config {
  try {
    const bootLog = createLogger("warn");
    return configFromProcessEnv((message) => {
      if (cluster.isPrimary) bootLog.warn(message);
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

async function serve(config: Config, log: Logger, database?: DatabaseHandle): Promise<void> {
  tuneHeap();
  const app = await createApp(config, { log, ...(database ? { database } : {}) });
  const stop = async () => {
    await app.stop();
    await database?.close();
  };
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: finishing in-flight requests");
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    stop().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  const port = await app.start();
  log.info({ port, database: config.database.url ? "postgres" : "pglite" }, "listening");
}

/** The primary's database: an embedded PGlite folder is this process's, served to `manage` commands. */
async function openDatabase(config: Config, log: Logger): Promise<DatabaseHandle> {
  try {
    return await connectDatabase({
      ...config.database,
      opener: { role: "server", title: "npm start", onError: (err) => log.error({ err }, "PGlite socket failed") },
    });
  } catch (error) {
    if (error instanceof DirectoryBusyError) {
      console.error(`cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

async function migrate(handle: DatabaseHandle, log: Logger): Promise<void> {
  const { applied } = await migrateToLatest(handle.db, migrationsDir);
  if (applied.length > 0) log.info({ applied }, "migrations applied");
}

function superviseWorkers(count: number, log: Logger): void {
  let stopping = false;
  for (let i = 0; i < count; i += 1) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    log.error({ pid: worker.process.pid, code, signal }, "worker died; starting another");
    setTimeout(() => cluster.fork(), 1_000).unref();
  });
  const shutdown = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

const config = readConfig();
const log = createLogger(config.log.level);
if (cluster.isPrimary) for (const notice of config.notices) log.warn(notice);

if (cluster.isPrimary) {
  const database = await openDatabase(config, log);
  try {
    await migrate(database, log);
  } catch (error) {
    log.fatal({ err: error }, "cannot migrate the database");
    await database.close();
    process.exit(1);
  }
  if (config.http.workers > 1) {
    await database.close();
    log.info({ workers: config.http.workers }, "starting workers");
    serveClusterMetrics();
    superviseWorkers(config.http.workers, log);
  } else {
    await serve(config, log, database);
  }
} else {
  await serve(config, log);
}
