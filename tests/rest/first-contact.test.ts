import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { http } from "../helpers/http.js";
import { capturedLogger } from "../helpers/logs.js";

const logs = capturedLogger();
const app = useTestApp({ log: logs.log, env: { CORS_ALLOWED_ORIGINS: "https://app.example.com" } });

const corsWarnings = () =>
  logs.lines.map((line) => JSON.parse(line)).filter((line) => String(line.msg).startsWith("CORS: refused"));

describe("GET /", () => {
  it("sends a browser to the API reference", async () => {
    const res = await http(app().url, "GET", "/", { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect([res.status, res.headers.get("location")]).toEqual([302, "/api/docs"]);
    const page = await fetch(`${app().url}/`, { headers: { accept: "text/html" } });
    expect([page.status, page.url]).toEqual([200, `${app().url}/api/docs`]);
  });

  it("gives API clients the links as JSON", async () => {
    for (const accept of [undefined, "application/json", "*/*"]) {
      const res = await http(app().url, "GET", "/", { headers: accept ? { accept } : {} });
      expect([res.status, res.body]).toEqual([200, { docs: "/api/docs", openapi: "/api/openapi.json" }]);
    }
    expect((await http(app().url, "HEAD", "/")).status).toBe(200);
  });
});

describe("a browser origin CORS refuses", () => {
  it("is logged once per origin as a warning naming CORS_ALLOWED_ORIGINS", async () => {
    const before = corsWarnings().length;
    for (let i = 0; i < 3; i += 1) {
      const res = await http(app().url, "GET", "/healthz", { headers: { origin: "http://localhost:3000" } });
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
    await http(app().url, "OPTIONS", "/api/token/", {
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" },
    });
    const warnings = corsWarnings().slice(before);
    expect(warnings).toEqual([
      expect.objectContaining({ level: 40, origin: "http://localhost:3000" }),
      expect.objectContaining({ level: 40, origin: "http://localhost:5173" }),
    ]);
    expect(warnings[0]?.msg).toContain("CORS_ALLOWED_ORIGINS");
  });

  it("is not logged for allowed origins, nor for the server's own pages (same origin)", async () => {
    const before = corsWarnings().length;
    await http(app().url, "GET", "/healthz", { headers: { origin: "https://app.example.com" } });
    // The API reference page calls the API from the server's own origin.
    await http(app().url, "POST", "/api/token/", { body: {}, headers: { origin: app().url } });
    expect(corsWarnings().slice(before)).toEqual([]);
  });

  it("stops after a hundred origins, so that made-up ones cannot flood the log", async () => {
    for (let i = 0; i < 120; i += 1) {
      await http(app().url, "GET", "/healthz", { headers: { origin: `http://made-up-${i}.test` } });
    }
    const lines = logs.lines.map((line) => JSON.parse(line));
    // Every origin this app refused so far, the earlier tests' included.
    expect(corsWarnings().length).toBe(100);
    expect(lines.filter((line) => line.msg === "CORS: further refused origins are not logged")).toHaveLength(1);
  });
});
