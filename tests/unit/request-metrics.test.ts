import { AggregatorRegistry, Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createRequestMetrics, LATENCY_BUCKETS } from "../../server/observability/request-metrics.js";

const OBSERVATIONS: [method: string, route: string, status: number, seconds: number][] = [
  ["POST", "/api/token/", 200, 0.004],
  ["POST", "/api/token/", 200, 0.005],
  ["POST", "/api/token/", 401, 0.3],
  ["GET", "/api/tasks/", 200, 0.0101],
  ["GET", "/api/tasks/", 304, 7],
  ["GET", "trpc:user.me", 200, 0],
];

/** The same series kept by prom-client's own Counter and Histogram: the reference. */
function reference(): Registry {
  const registry = new Registry();
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests, by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency, by method and route",
    labelNames: ["method", "route"],
    buckets: [...LATENCY_BUCKETS],
    registers: [registry],
  });
  for (const [method, route, status, seconds] of OBSERVATIONS) {
    requests.inc({ method, route, status: String(status) });
    latency.observe({ method, route }, seconds);
  }
  return registry;
}

function ours(): Registry {
  const registry = new Registry();
  const metrics = createRequestMetrics(registry);
  for (const observation of OBSERVATIONS) metrics.observe(...observation);
  return registry;
}

describe("request metrics", () => {
  it("render exactly what prom-client's Counter and Histogram render for the same requests", async () => {
    const expected = await reference().metrics();
    expect(await ours().metrics()).toBe(expected);
    expect(expected).toContain('http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/token/"} 2');
  });

  it("sum over workers as prom-client's cluster aggregation does", async () => {
    const aggregate = async (make: () => Registry) =>
      AggregatorRegistry.aggregate([await make().getMetricsAsJSON(), await make().getMetricsAsJSON()]).metrics();
    const summed = await aggregate(ours);
    expect(summed).toBe(await aggregate(reference));
    expect(summed).toContain('http_requests_total{method="POST",route="/api/token/",status="200"} 4');
  });

  it("start again from zero when the registry is reset", async () => {
    const registry = ours();
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain("http_requests_total{");
    expect(await registry.metrics()).toContain("# TYPE http_request_duration_seconds histogram");
  });
});
