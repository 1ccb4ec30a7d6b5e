import cluster from "node:cluster";
import { type AppOverrides, createApp } from "../app.js";
import type { Config } from "../config/config.js";
import { tuneHeap } from "../heap.js";
import type { Logger } from "../logger.js";
import { announce } from "./announce.js";
import { describeListenFailure } from "./listen-failure.js";
import { EXIT_CANNOT_LISTEN, LISTEN_FAILED, type ListenFailed } from "./messages.js";

/**
 * A worker's connections are accepted by the primary and handed over one at a
 * time: those accepted just before the signal are still on their way. The
 * worker takes them for this long (answering with `Connection: close`, and
 * /readyz 503) before it stops accepting; the primary's socket closes with the
 * last worker's.
 */
const WORKER_ACCEPT_GRACE_MS = 1_000;

/**
 * Serves from this process, alone or as one of the primary's workers, until
 * SIGTERM or SIGINT: then it stops accepting, lets the requests in flight
 * finish (SHUTDOWN_TIMEOUT at most), closes its connections and exits 0.
 */
export async function serve(config: Config, log: Logger, overrides: AppOverrides = {}): Promise<void> {
  tuneHeap();
  const app = await createApp(config, { ...overrides, log });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: finishing in-flight requests");
    const force = setTimeout(() => {
      log.error({ timeoutSeconds: config.http.shutdownTimeout }, "shutdown timed out: cutting the requests left");
      process.exit(1);
    }, config.http.shutdownTimeout * 1000).unref();
    // A database handed in (the primary's PGlite folder) is this process's to close once the app has stopped.
    const stopped = app.stop(cluster.isWorker ? WORKER_ACCEPT_GRACE_MS : 0).then(() => overrides.database?.close());
    stopped.then(
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

  let port: number;
  try {
    port = await app.start();
  } catch (error) {
    const reason = describeListenFailure(error, config.http);
    if (reason === undefined) throw error;
    cannotListen(reason);
    return;
  }
  const database = config.database.url ? "postgres" : "pglite";
  log.info({ port, database }, "listening");
  if (cluster.isPrimary) announce({ host: config.http.host, port, workers: 1, database }, log);
}

/** One line, no stack trace, exit 1; a worker leaves the line to the primary, which prints it once. */
function cannotListen(reason: string): void {
  if (cluster.isWorker && process.send) {
    const message: ListenFailed = { type: LISTEN_FAILED, reason };
    process.send(message, () => process.exit(EXIT_CANNOT_LISTEN));
    return;
  }
  console.error(reason);
  process.exit(1);
}
