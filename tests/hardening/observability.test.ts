import { describe, expect, it } from "vitest";
import { startTestApp, useTestApp } from "../helpers/app.js";
import { client, http } from "../helpers/http.js";
import { capturedLogger } from "../helpers/logs.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const logs = capturedLogger();
const app = useTestApp({ log: logs.log, env: { METRICS_TOKEN: "metrics-token-0123456789" } });
const api = client(() => app().url);

describe("operations", () => {
  it("answers /healthz and /readyz", async () => {
    expect(await http(app().url, "GET", "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await http(app().url, "GET", "/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
  });

  it("reports not ready when the database does not answer", async () => {
    const broken = await startTestApp();
    try {
      // Kysely only closes a database it has used.
      expect((await http(broken.url, "GET", "/readyz")).status).toBe(200);
      await broken.db.close();
      const res = await http(broken.url, "GET", "/readyz");
      expect([res.status, res.body.status]).toEqual([503, "unavailable"]);
      expect((await http(broken.url, "GET", "/healthz")).status).toBe(200);
    } finally {
      await broken.app.stop();
    }
  });

  it("exposes Prometheus metrics behind METRICS_TOKEN: requests by route, auth failures by reason, outbox depth", async () => {
    await api.get("/api/users/profile/", { token: "garbage" });
    await api.post("/api/token/", { username: "ghost", password: "nope-nope" });
    await api.get("/api/tasks/1/", { token: "garbage" });
    await http(app().url, "GET", "/trpc/user.me");
    await http(app().url, "GET", "/trpc/user.me,task.list?batch=1&input={}");
    for (const made of ["x1", "x2", "user.me,x3"]) await http(app().url, "GET", `/trpc/${made}`);
    expect((await http(app().url, "GET", "/metrics")).status).toBe(401);
    const res = await http(app().url, "GET", "/metrics", {
      headers: { authorization: "Bearer metrics-token-0123456789" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/api\/users\/profile\/",status="401"\} 1/);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/api\/tasks\/:id\/",status="401"\} 1/);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/api\/token\/"\}/);
    expect(res.text).toMatch(/auth_failures_total\{reason="token_not_valid"\} 2/);
    expect(res.text).toMatch(/auth_failures_total\{reason="authentication_failed"\} 1/);
    expect(res.text).toMatch(/outbox_mails\{status="pending"\} \d+/);
    // tRPC paths get a series per real procedure, and no client can mint more.
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="trpc:user.me",status="401"\} 1/);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="trpc:batch",status="\d+"\} 1/);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="trpc:unknown",status="404"\} 3/);
    expect(res.text).not.toMatch(/x1|x2|x3/);
  });

  it("in production, with no METRICS_TOKEN, keeps /metrics closed to everyone", async () => {
    const production = await startTestApp({ NODE_ENV: "production" });
    try {
      expect((await http(production.url, "GET", "/metrics")).status).toBe(404);
      expect((await http(production.url, "GET", "/healthz")).status).toBe(200);
    } finally {
      await production.app.stop();
    }
  });

  it("logs each request with its id and without secrets", async () => {
    const account = newAccount();
    await api.post("/api/users/register/", account);
    const pair = await api.post(
      "/api/token/",
      { username: account.username, password: STRONG_PASSWORD },
      { headers: { "x-request-id": "trace-42" } },
    );
    await api.get(`/api/users/profile/?token=${pair.body.access}`, { token: pair.body.access });
    const lines = logs.lines.map((line) => JSON.parse(line));
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "request", requestId: "trace-42", route: "/api/token/", status: 200 }),
    );
    const everything = logs.lines.join("\n");
    for (const secret of [STRONG_PASSWORD, pair.body.access, pair.body.refresh])
      expect(everything).not.toContain(secret);
  });
});
