import cluster from "node:cluster";
import { type Config, ConfigError } from "./config/config.js";
import { configFromProcessEnv } from "./config/from-process.js";
import { connectDatabase, type DatabaseHandle } from "./db/connect.js";
import { migrateToLatest } from "./db/migrate.js";
import { DirectoryBusyError } from "./db/pglite/directory.js";
import { createLogger, type Logger } from "./logger.js";
import { migrationsDir } from "./paths.js";
import { superviseWorkers } from "./process/cluster.js";

// `npm start`: validate the environment, apply pending migrations, then serve
// with WEB_CONCURRENCY processes (one when the database is embedded PGlite).

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

// The application is loaded where it serves: a primary that only supervises workers then holds
// none of it (its memory counts beside theirs).
const serving = () => import("./process/serve.js");

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
    superviseWorkers(config, log);
  } else {
    await (await serving()).serve(config, log, { database });
  }
} else {
  await (await serving()).serve(config, log);
}
