import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { client, http, rawRequest } from "../helpers/http.js";

const ORIGIN = "http://localhost:3000";
const app = useTestApp({ env: { CORS_ALLOWED_ORIGINS: `${ORIGIN}, https://app.example.com` } });
const api = client(() => app().url);

const preflight = (origin: string, path = "/api/token/") =>
  http(app().url, "OPTIONS", path, {
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    },
  });

describe("CORS (django-cors-headers' behaviour)", () => {
  it("answers a preflight from an allowed origin with the origin echoed, on any path", async () => {
    for (const path of ["/api/token/", "/api/token", "/api/users/profile/", "/trpc/auth.obtainToken", "/nowhere"]) {
      const res = await preflight(ORIGIN, path);
      expect([path, res.status, res.text]).toEqual([path, 200, ""]);
      expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      expect(res.headers.get("access-control-allow-methods")).toBe("DELETE, GET, OPTIONS, PATCH, POST, PUT");
      const allowed = res.headers.get("access-control-allow-headers")?.split(", ") ?? [];
      expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type"]));
      expect(res.headers.get("access-control-max-age")).toBe("86400");
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
      expect(res.headers.get("vary")).toContain("Origin");
    }
  });

  it("gives other origins no CORS headers, never a wildcard", async () => {
    for (const origin of ["http://evil.example", "http://localhost:3001", "null", "HTTP://LOCALHOST:3000"]) {
      const res = await preflight(origin);
      expect(res.status).toBe(200);
      expect([origin, res.headers.get("access-control-allow-origin")]).toEqual([origin, null]);
      const simple = await api.post("/api/token/", {}, { headers: { origin } });
      expect(simple.headers.get("access-control-allow-origin")).toBeNull();
      expect(simple.status).toBe(400);
    }
  });

  it("puts the allowed origin on every response, errors included", async () => {
    const responses = [
      await api.post("/api/token/", {}, { headers: { origin: ORIGIN } }),
      await api.post("/api/token/", { username: "x", password: "y" }, { headers: { origin: ORIGIN } }),
      await api.get("/api/users/profile/", { headers: { origin: ORIGIN } }),
      await api.get("/api/token/", { headers: { origin: ORIGIN } }),
      await api.get("/api/nothing-here/", { headers: { origin: ORIGIN } }),
      await http(app().url, "POST", "/api/token/", {
        raw: "x",
        headers: { origin: ORIGIN, "content-type": "text/plain" },
      }),
      await api.post("/api/token/", {}, { headers: { origin: `${ORIGIN}/` } }),
    ];
    expect(responses.map((res) => res.status)).toEqual([400, 401, 401, 405, 404, 415, 400]);
    for (const res of responses) {
      expect(res.headers.get("access-control-allow-origin")).toMatch(/^http:\/\/localhost:3000\/?$/);
      expect(res.headers.get("vary")).toContain("Origin");
    }
  });

  it("is off without configured origins", async () => {
    const { startTestApp } = await import("../helpers/app.js");
    const bare = await startTestApp();
    try {
      const res = await http(bare.url, "OPTIONS", "/api/token/", {
        headers: { origin: ORIGIN, "access-control-request-method": "POST" },
      });
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await bare.app.stop();
      await bare.db.close();
    }
  });
});

describe("paths, methods and framing", () => {
  it("serves every contract path with and without its trailing slash", async () => {
    for (const path of [
      "/api/token",
      "/api/token/refresh",
      "/api/token/verify",
      "/api/token/blacklist",
      "/api/users/register",
    ]) {
      const withSlash = await api.post(`${path}/`, {});
      const without = await api.post(path, {});
      expect([path, without.status, without.text]).toEqual([path, withSlash.status, withSlash.text]);
      expect(without.status).toBe(400);
    }
    expect((await api.get("/api/users/profile")).status).toBe(401);
  });

  it("answers unknown paths with 404 {detail}", async () => {
    for (const path of [
      "/nope",
      "/api/",
      "/api/nope/",
      "/api/users/",
      "//api/token/",
      "/API/TOKEN/",
      "/api/token/x/",
    ]) {
      const res = await api.get(path);
      expect([path, res.status, res.body]).toEqual([path, 404, { detail: "Not found." }]);
      expect(res.headers.get("content-type")).toBe("application/json");
    }
    // The root answers GET (tests/rest/first-contact.test.ts), nothing else.
    expect((await api.post("/", {})).status).toBe(404);
  });

  it("sends Django's security headers and a request id on every response", async () => {
    const res = await api.post("/api/token/", {}, { headers: { "x-request-id": "trace-123" } });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    const generated = await api.post("/api/token/", {}, { headers: { "x-request-id": "bad id with spaces" } });
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers OPTIONS without a preflight with the allowed methods", async () => {
    const res = await api.request("OPTIONS", "/api/token/");
    expect(res.status).toBe(200);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("refuses bodies over MAX_BODY_BYTES with 413", async () => {
    const { startTestApp } = await import("../helpers/app.js");
    const small = await startTestApp({ MAX_BODY_BYTES: "1024" });
    try {
      const res = await http(small.url, "POST", "/api/token/", {
        body: { username: "x".repeat(2048), password: "y" },
      });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ detail: "Request body is too large (the limit is 1024 bytes)." });
      const trpc = await http(small.url, "POST", "/trpc/auth.obtainToken", {
        body: { username: "x".repeat(2048), password: "y" },
      });
      expect(trpc.status).toBe(413);
      // Chunked bodies declare no length: counted as they arrive, refused past the limit, read whole below it.
      const chunked = { "content-type": "application/json", "transfer-encoding": "chunked" };
      const over = await rawRequest(
        small.url,
        "POST",
        "/api/token/",
        chunked,
        JSON.stringify({ username: "x".repeat(2048) }),
      );
      expect([over.status, JSON.parse(over.text), over.headers.connection]).toEqual([
        413,
        { detail: "Request body is too large (the limit is 1024 bytes)." },
        "close",
      ]);
      const under = await rawRequest(small.url, "POST", "/api/token/verify/", chunked, JSON.stringify({ token: "x" }));
      expect([under.status, JSON.parse(under.text).code]).toEqual([401, "token_not_valid"]);
    } finally {
      await small.app.stop();
      await small.db.close();
    }
  });
});

describe("the tRPC surface over HTTP", () => {
  it("answers the same procedures with typed error data", async () => {
    const res = await http(app().url, "POST", "/trpc/auth.obtainToken", {
      body: { username: "ghost", password: "whatever" },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(res.body.error.message).toBe("No active account found with the given credentials");
    expect(res.body.error.data).toMatchObject({ appCode: "authentication_failed", httpStatus: 401 });
    expect(res.body.error.data.stack).toBeUndefined();

    const invalid = await http(app().url, "POST", "/trpc/auth.register", { body: { username: "bad name" } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.data.appCode).toBe("validation_failed");
    expect(invalid.body.error.data.fieldErrors.username).toEqual([
      "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
    ]);
    expect(invalid.body.error.data.fieldErrors.password).toEqual(["This field is required."]);
  });
});

describe("details a Django client may lean on", () => {
  it("authenticates a protected view before reading its body", async () => {
    for (const [raw, type] of [
      ["{broken", "application/json"],
      ["x", "text/plain"],
    ]) {
      const res = await http(app().url, "POST", "/api/users/change-password/", {
        raw,
        headers: { "content-type": type ?? "" },
      });
      expect([type, res.status, res.body]).toEqual([
        type,
        401,
        { detail: "Authentication credentials were not provided." },
      ]);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    }
  });

  it("answers 406 when Accept allows no JSON, and JSON to browsers", async () => {
    const xml = await api.post("/api/token/", {}, { headers: { accept: "application/xml" } });
    expect([xml.status, xml.body]).toEqual([406, { detail: "Could not satisfy the request Accept header." }]);
    const zero = await api.post("/api/token/", {}, { headers: { accept: "application/json;q=0, text/plain" } });
    expect(zero.status).toBe(406);
    const browser = await api.post(
      "/api/token/",
      {},
      { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } },
    );
    expect([browser.status, browser.headers.get("content-type")]).toEqual([400, "application/json"]);
  });

  it("decodes JSON with the declared charset, refuses a byte-order mark and forms over 1,000 fields", async () => {
    const latin1 = Buffer.from('{"username":"J\u00e9","password":"x"}', "latin1");
    const res = await http(app().url, "POST", "/api/token/", {
      raw: latin1,
      headers: { "content-type": "application/json; charset=latin-1" },
    });
    expect(res.status).toBe(401);
    const bom = await http(app().url, "POST", "/api/token/", {
      raw: `\ufeff${JSON.stringify({ username: "x", password: "y" })}`,
      headers: { "content-type": "application/json" },
    });
    expect([bom.status, bom.body.detail]).toEqual([400, expect.stringMatching(/^JSON parse error - /)]);
    const fields = Array.from({ length: 1001 }, (_, i) => `f${i}=x`).join("&");
    const many = await http(app().url, "POST", "/api/token/", {
      raw: fields,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect([many.status, many.body]).toEqual([400, { detail: "The number of fields exceeded 1000." }]);
  });

  it("never resolves dot segments: they name nothing", async () => {
    const res = await rawRequest(app().url, "GET", "/api/users/register/../profile/", {});
    expect([res.status, JSON.parse(res.text)]).toEqual([404, { detail: "Not found." }]);
  });

  it("answers requests Node's parser refuses with JSON and the usual headers", async () => {
    const res = await rawRequest(app().url, "FOO", "/api/token/", {}).catch((error: Error) => error);
    if (res instanceof Error) throw res;
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ detail: "Bad Request." });
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    const huge = await rawRequest(app().url, "GET", "/api/token/", { "x-big": "y".repeat(20_000) });
    expect(huge.status).toBe(431);
  });

  it("treats OPTIONS with Access-Control-Request-Method as a preflight even without Origin", async () => {
    const res = await http(app().url, "OPTIONS", "/api/token/", {
      headers: { "access-control-request-method": "POST" },
    });
    expect([res.status, res.text, res.headers.get("content-type")]).toEqual([200, "", "text/html; charset=utf-8"]);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const plain = await http(app().url, "OPTIONS", "/api/token/", { headers: { origin: ORIGIN } });
    expect([plain.status, plain.headers.get("allow")]).toEqual([200, "POST, OPTIONS"]);
    expect(plain.headers.get("access-control-allow-methods")).toBe("DELETE, GET, OPTIONS, PATCH, POST, PUT");
  });
});
