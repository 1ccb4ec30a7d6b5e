import type { Histogram, Registry } from "prom-client";

/**
 * http_requests_total and http_request_duration_seconds, counted in plain
 * numbers per series and handed to prom-client only when scraped. prom-client's
 * own Counter and Histogram validate and hash the labels on every observation,
 * a measurable share of a light request (bench/README.md).
 * The values are in prom-client's metric format, so the registry renders them
 * and the cluster's aggregator sums them over the workers like its own.
 */
export interface RequestMetrics {
  observe(method: string, route: string, status: number, seconds: number): void;
}

export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

interface Series {
  labels: Record<string, string>;
  count: number;
}

interface LatencySeries extends Series {
  /** Observations per bucket, not cumulative; the last slot is above the largest bound. */
  buckets: number[];
  sum: number;
  /** The request counts of this method and route, by status. */
  statuses: Map<number, Series>;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What the registry reads of a metric: prom-client's own shape (its types only name its classes). */
interface CollectedMetric {
  name: string;
  help: string;
  type: "counter" | "histogram";
  aggregator: "sum";
  get(): Promise<{ name: string; help: string; type: string; aggregator: "sum"; values: MetricValue[] }>;
  reset(): void;
}

function collected(
  name: string,
  help: string,
  type: CollectedMetric["type"],
  values: () => MetricValue[],
  reset: () => void,
): CollectedMetric {
  return {
    name,
    help,
    type,
    aggregator: "sum",
    get: async () => ({ name, help, type, aggregator: "sum", values: values() }),
    reset,
  };
}

export function createRequestMetrics(registry: Registry): RequestMetrics {
  // By route, then method: lookups by the strings as they come, with no key built per request.
  const series = new Map<string, Map<string, LatencySeries>>();
  const all = () => [...series.values()].flatMap((byMethod) => [...byMethod.values()]);
  // Both metrics read the same series: resetting either starts both from zero.
  const clear = () => series.clear();

  const requests = collected(
    "http_requests_total",
    "HTTP requests, by method, route and status",
    "counter",
    () =>
      all().flatMap(({ statuses }) => [...statuses.values()].map(({ labels, count }) => ({ labels, value: count }))),
    clear,
  );
  const latency = collected(
    "http_request_duration_seconds",
    "HTTP request latency, by method and route",
    "histogram",
    () => all().flatMap(histogramValues),
    clear,
  );
  for (const metric of [requests, latency]) registry.registerMetric(metric as unknown as Histogram);

  const start = (method: string, route: string): LatencySeries => {
    const buckets = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
    return { labels: { method, route }, count: 0, sum: 0, buckets, statuses: new Map() };
  };

  return {
    observe(method, route, status, seconds) {
      let byMethod = series.get(route);
      if (!byMethod) {
        byMethod = new Map();
        series.set(route, byMethod);
      }
      let entry = byMethod.get(method);
      if (!entry) {
        entry = start(method, route);
        byMethod.set(method, entry);
      }
      let bucket = 0;
      while (bucket < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[bucket] as number)) bucket += 1;
      entry.buckets[bucket] = (entry.buckets[bucket] as number) + 1;
      entry.count += 1;
      entry.sum += seconds;

      let counted = entry.statuses.get(status);
      if (!counted) {
        counted = { labels: { method, route, status: String(status) }, count: 0 };
        entry.statuses.set(status, counted);
      }
      counted.count += 1;
    },
  };
}

function histogramValues({ labels, buckets, sum, count }: LatencySeries): MetricValue[] {
  const name = "http_request_duration_seconds";
  const values: MetricValue[] = [];
  let cumulative = 0;
  LATENCY_BUCKETS.forEach((le, index) => {
    cumulative += buckets[index] as number;
    values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${name}_bucket` });
  });
  values.push({ labels: { le: "+Inf", ...labels }, value: count, metricName: `${name}_bucket` });
  values.push({ labels, value: sum, metricName: `${name}_sum` });
  values.push({ labels, value: count, metricName: `${name}_count` });
  return values;
}
