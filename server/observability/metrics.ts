import cluster from "node:cluster";
import { AggregatorRegistry, Counter, Gauge, Registry } from "prom-client";
import type { Db } from "../db/connect.js";
import { countMail } from "../db/repositories/outbox.js";
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

const REQUEST = "metrics:request";
const RESPONSE = "metrics:response";

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
  if (cluster.isWorker) AggregatorRegistry.setRegistries([registry]);

  return {
    registry,
    contentType: registry.contentType,
    requestStarted() {
      inFlight.inc();
      return () => inFlight.dec();
    },
    observeRequest: requests.observe,
    authFailure: (reason) => failures.inc({ reason }),
    render: () => (cluster.isWorker && process.send ? fromPrimary() : registry.metrics()),
  };
}

let nextRequest = 0;

function fromPrimary(): Promise<string> {
  const id = `${process.pid}:${nextRequest++}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off("message", onMessage);
      reject(new Error("the primary did not answer for metrics"));
    }, 5_000);
    const onMessage = (message: { type?: string; id?: string; text?: string; error?: string }) => {
      if (message?.type !== RESPONSE || message.id !== id) return;
      clearTimeout(timer);
      process.off("message", onMessage);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.text ?? "");
    };
    process.on("message", onMessage);
    process.send?.({ type: REQUEST, id });
  });
}

/** In the primary: aggregates every worker's metrics for whichever worker asks. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: { type?: string; id?: string }) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (error: unknown) => worker.send({ type: RESPONSE, id: message.id, error: String(error) }),
    );
  });
}
