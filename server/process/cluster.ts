import cluster, { type Worker } from "node:cluster";
import type { Config } from "../config/config.js";
import type { Logger } from "../logger.js";
import { aggregateWorkerMetrics } from "../observability/cluster-metrics.js";
import { announce } from "./announce.js";
import { EXIT_CANNOT_LISTEN, isListenFailed } from "./messages.js";
import {
  afterDeath,
  DEFAULT_RESTART_POLICY,
  freshSlot,
  type RestartPolicy,
  type SlotHistory,
} from "./restart-policy.js";

interface Slot {
  history: SlotHistory;
  worker?: Worker;
  listeningAt?: number;
  restart?: NodeJS.Timeout;
}

/**
 * The primary of WEB_CONCURRENCY workers (node:cluster): starts them, starts
 * another when one dies (restart-policy.ts), gives up with exit code 1 when
 * they cannot start, aggregates their metrics, and on SIGTERM or SIGINT has
 * each finish its requests, then exits 0 once all have.
 */
export function superviseWorkers(config: Config, log: Logger, policy: RestartPolicy = DEFAULT_RESTART_POLICY): void {
  const slots: Slot[] = Array.from({ length: config.http.workers }, () => ({ history: freshSlot() }));
  const slotOf = new Map<number, Slot>();
  let stopping = false;
  let exitCode = 0;
  let announced = false;
  let listenFailureShown = false;
  // PORT=0 picks a port when the first worker listens; later workers take that one, even
  // after every worker died (the primary's listening socket closes with the last of them).
  let boundPort: number | undefined;

  const fork = (slot: Slot) => {
    slot.restart = undefined;
    slot.listeningAt = undefined;
    const worker = cluster.fork(boundPort === undefined ? {} : { PORT: String(boundPort) });
    slot.worker = worker;
    slotOf.set(worker.id, slot);
  };

  const finishWhenAllGone = () => {
    if (slotOf.size === 0) process.exit(exitCode);
  };

  const stop = (code: number) => {
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    stopping = true;
    for (const slot of slots) clearTimeout(slot.restart);
    for (const slot of slots) slot.worker?.process.kill("SIGTERM");
    // Workers bound themselves by SHUTDOWN_TIMEOUT; this is for one that hangs regardless.
    setTimeout(
      () => {
        log.error({ workers: slotOf.size }, "workers did not stop in time: killing them");
        for (const slot of slots) slot.worker?.process.kill("SIGKILL");
        process.exit(1);
      },
      (config.http.shutdownTimeout + 5) * 1000,
    ).unref();
    finishWhenAllGone();
  };

  aggregateWorkerMetrics(() =>
    slots.flatMap((slot) => (slot.worker && slot.listeningAt !== undefined ? [slot.worker] : [])),
  );

  cluster.on("listening", (worker, address) => {
    const slot = slotOf.get(worker.id);
    if (!slot || stopping) return;
    slot.listeningAt = Date.now();
    boundPort ??= address.port;
    if (announced || !slots.every((each) => each.listeningAt !== undefined)) return;
    announced = true;
    const database = config.database.url ? "postgres" : "pglite";
    announce({ host: config.http.host, port: address.port, workers: slots.length, database }, log);
  });

  cluster.on("message", (_worker, message: unknown) => {
    if (!isListenFailed(message)) return;
    if (!listenFailureShown) console.error(message.reason);
    listenFailureShown = true;
    stop(1);
  });

  cluster.on("exit", (worker, code, signal) => {
    const slot = slotOf.get(worker.id);
    if (!slot) return;
    slotOf.delete(worker.id);
    if (slot.worker === worker) slot.worker = undefined;
    if (code === EXIT_CANNOT_LISTEN) stop(1);
    if (stopping) {
      // A worker still starting when the signal came dies of it: nothing was in flight there.
      if (code !== 0 && signal !== "SIGTERM") exitCode = Math.max(exitCode, 1);
      finishWhenAllGone();
      return;
    }
    const served = slot.listeningAt === undefined ? undefined : Date.now() - slot.listeningAt;
    const verdict = afterDeath(policy, slot.history, served);
    if (verdict.giveUp) {
      log.fatal(
        { workerPid: worker.process.pid, code, signal, reason: verdict.reason },
        "workers cannot start: giving up",
      );
      stop(1);
      return;
    }
    log.error(
      { workerPid: worker.process.pid, code, signal, restartInMs: verdict.delayMs },
      "worker died; starting another",
    );
    // Not unref'd: with every worker dead, this timer is what keeps the primary alive.
    slot.restart = setTimeout(() => fork(slot), verdict.delayMs);
  });

  const onSignal = (signal: string) => {
    if (!stopping) log.info({ signal }, "shutting down: workers finish their requests");
    stop(0);
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));

  log.info({ workers: slots.length }, "starting workers");
  for (const slot of slots) fork(slot);
}
