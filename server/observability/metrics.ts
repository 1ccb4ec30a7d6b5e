import cluster from "node:cluster";
import { Counter, Gauge, Registry } from "prom-client";
import type { Db } from "../db/connect.js";
import { countMail } from "../db/repositories/outbox.js";
import { answerPrimary, scrapeThroughPrimary } from "./cluster-metrics.js";
import { createRequestMetrics } from "./request-metrics.js";

/**
 * Prometheus metrics: requests and latency by route, authentication failures
 * by reason, and the outbox's depth. With several worker processes, any of
 * them answers /metrics with the sum over all (the primary aggregates).
 */
export interface Metrics {
  registry: Registry;
  /** Counts a request as in flight until the returned function is called (once: on the response's close). */
  requestStarted(): () => void;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  authFailure(reason: string): void;
  /** The exposition text, over every worker when there are several. */
  render(): Promise<string>;
  readonly contentType: string;
}

export function createMetrics(db: Db): Metrics {
  const registry = new Registry();
  const requests = createRequestMetrics(registry);
  const inFlight = new Gauge({
    name: "http_requests_in_flight",
    help: "HTTP requests being answered now",
    registers: [registry],
  });
  const failures = new Counter({
    name: "auth_failures_total",
    help: "Refused authentications, by reason (the error code)",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "outbox_mails",
    help: "Mails in the outbox, by status",
    labelNames: ["status"] as const,
    registers: [registry],
    // Every worker reads the same table: take one reading, not the sum.
    aggregator: "max",
    async collect() {
      const counts = await countMail(db).catch(() => undefined);
      if (!counts) return;
      for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
    },
  });
  if (cluster.isWorker) answerPrimary(registry);

  return {
    registry,
    contentType: registry.contentType,
    requestStarted() {
      inFlight.inc();
      return () => inFlight.dec();
    },
    observeRequest: requests.observe,
    authFailure: (reason) => failures.inc({ reason }),
    render: () => (cluster.isWorker && process.send ? scrapeThroughPrimary() : registry.metrics()),
  };
}
