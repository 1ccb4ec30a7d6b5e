import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";

/** One worker's metrics as `registry.getMetricsAsJSON()` gives them. */
type WorkerMetrics = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

/**
 * /metrics with several workers: the worker that got the scrape asks the
 * primary, which asks every serving worker for its metrics (as JSON), sums them
 * (prom-client's aggregation, each metric by its `aggregator`) and answers. A
 * worker that does not answer in time (starting, stopping, stuck) is left out
 * of that scrape rather than failing it.
 */
const SCRAPE = "metrics:scrape";
const SCRAPED = "metrics:scraped";
const COLLECT = "metrics:collect";
const COLLECTED = "metrics:collected";

/** How long the primary waits for the workers' metrics; the asking worker waits a little longer. */
const COLLECT_TIMEOUT_MS = 2_000;

interface Message {
  type?: string;
  id?: string;
  text?: string;
  metrics?: WorkerMetrics;
}

/** In a worker: answer the primary's requests for this worker's metrics. */
export function answerPrimary(registry: Registry): void {
  process.on("message", (message: Message) => {
    if (message?.type !== COLLECT) return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: COLLECTED, id: message.id, metrics }),
      () => process.send?.({ type: COLLECTED, id: message.id, metrics: [] }),
    );
  });
}

let nextScrape = 0;

/** In a worker: the metrics of every worker, summed by the primary. */
export function scrapeThroughPrimary(): Promise<string> {
  const id = `${process.pid}:${nextScrape++}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off("message", onMessage);
      reject(new Error("the primary did not answer for metrics"));
    }, COLLECT_TIMEOUT_MS + 3_000);
    const onMessage = (message: Message) => {
      if (message?.type !== SCRAPED || message.id !== id) return;
      clearTimeout(timer);
      process.off("message", onMessage);
      resolve(message.text ?? "");
    };
    process.on("message", onMessage);
    process.send?.({ type: SCRAPE, id });
  });
}

/** In the primary: serves the workers' scrapes; `serving` lists the workers that listen (so have metrics). */
export function aggregateWorkerMetrics(serving: () => Iterable<Worker>): void {
  let nextCollect = 0;
  const pending = new Map<string, (worker: Worker, metrics: WorkerMetrics) => void>();
  cluster.on("message", (worker, message: Message) => {
    if (message?.type === COLLECTED && message.id !== undefined)
      pending.get(message.id)?.(worker, message.metrics ?? []);
    if (message?.type !== SCRAPE) return;
    const id = `collect:${nextCollect++}`;
    const asked = [...serving()].filter((each) => each.isConnected());
    const answers = new Map<number, WorkerMetrics>();
    const finish = () => {
      clearTimeout(timer);
      pending.delete(id);
      const text = AggregatorRegistry.aggregate([...answers.values()]).metrics();
      Promise.resolve(text).then(
        (rendered) => worker.isConnected() && worker.send({ type: SCRAPED, id: message.id, text: rendered }),
        () => worker.isConnected() && worker.send({ type: SCRAPED, id: message.id, text: "" }),
      );
    };
    const timer = setTimeout(finish, COLLECT_TIMEOUT_MS);
    pending.set(id, (from, metrics) => {
      answers.set(from.id, metrics);
      if (answers.size >= asked.length) finish();
    });
    for (const each of asked) each.send({ type: COLLECT, id });
    if (asked.length === 0) finish();
  });
}
