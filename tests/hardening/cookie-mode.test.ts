import { describe, expect, it } from "vitest";
import { getSession } from "../../client-sdk/src/server.js";
import { sessionJar } from "../../server/http/cookie-session/jar.js";
import { startTestApp, useTestApp } from "../helpers/app.js";
import { http } from "../helpers/http.js";
import { accessClaims, decodePayload, mint } from "../helpers/tokens.js";
import { signUp } from "../helpers/users.js";

const APP_ORIGIN = "http://app.example";
// A replayed cookie is refused at once here (the reuse interval is tests/security/refresh-reuse-interval.test.ts).
const app = useTestApp({
  env: {
    REFRESH_COOKIE: "true",
    CORS_ALLOWED_ORIGINS: APP_ORIGIN,
    CORS_ALLOW_CREDENTIALS: "true",
    REFRESH_TOKEN_REUSE_INTERVAL: "0",
  },
});

/** The app's own pages calling: the CSRF header, and an allowed Origin. */
const FROM_APP = { "x-requested-with": "jwt-auth", origin: APP_ORIGIN };

interface Cookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

function setCookies(headers: Headers): Cookie[] {
  return headers.getSetCookie().map((line) => {
    const [pair = "", ...rest] = line.split("; ");
    const at = pair.indexOf("=");
    const attributes: Record<string, string | true> = {};
    for (const part of rest) {
      const [key = "", value] = part.split("=");
      attributes[key.toLowerCase()] = value ?? true;
    }
    return { name: pair.slice(0, at), value: decodeURIComponent(pair.slice(at + 1)), attributes };
  });
}

const cookieValue = (headers: Headers, name: string) => setCookies(headers).find((c) => c.name === name)?.value;

function call(name: string, options: { body?: unknown; cookie?: string; headers?: Record<string, string> } = {}) {
  return http(app().url, "POST", `/auth/session/${name}`, {
    body: options.body ?? {},
    headers: { ...FROM_APP, ...(options.cookie ? { cookie: options.cookie } : {}), ...options.headers },
  });
}

async function cookieLogin() {
  const { account } = await signUp(app());
  const res = await call("login", { body: { username: account.username, password: account.password } });
  expect(res.status).toBe(200);
  const refresh = cookieValue(res.headers, "jwt_refresh") ?? "";
  const access = cookieValue(res.headers, "jwt_access") ?? "";
  return { account, res, refresh, access, cookie: `jwt_refresh=${refresh}; jwt_access=${access}` };
}

describe("cookie mode: the refresh token in an HttpOnly cookie", () => {
  it("a login answers the access token only, and sets the cookies: HttpOnly, SameSite, scoped, never cached", async () => {
    const { res, refresh, access } = await cookieLogin();
    expect(Object.keys(res.body.result.data)).toEqual(["access"]);
    expect(res.body.result.data.access).toBe(access);
    expect(res.text).not.toContain(refresh);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const [refreshCookie, accessCookie] = setCookies(res.headers);
    expect(refreshCookie).toMatchObject({
      name: "jwt_refresh",
      attributes: { path: "/auth/session", httponly: true, samesite: "Strict" },
    });
    expect(accessCookie).toMatchObject({ name: "jwt_access", attributes: { path: "/", httponly: true } });
    // Not Secure outside production, so that http://localhost works in every browser.
    expect(refreshCookie?.attributes.secure).toBeUndefined();
    const lifetime = Number(refreshCookie?.attributes["max-age"]);
    expect(Math.abs(lifetime - app().config.jwt.refreshTokenLifetime)).toBeLessThanOrEqual(2);
    expect(decodePayload(refresh).token_type).toBe("refresh");
    // CORS lets the app's origin read the answer with credentials.
    expect(res.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
  });

  it("refresh reads the cookie, rotates it, and answers the access token only; the old cookie is dead", async () => {
    const { refresh, cookie } = await cookieLogin();
    const res = await call("refresh", { cookie });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.result.data)).toEqual(["access"]);
    const rotated = cookieValue(res.headers, "jwt_refresh");
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(refresh);
    expect(cookieValue(res.headers, "jwt_access")).toBe(res.body.result.data.access);

    const replay = await call("refresh", { cookie });
    expect(replay.status).toBe(401);
    expect(replay.body.error.data.appCode).toBe("token_not_valid");
    expect(setCookies(replay.headers).map((c) => [c.name, c.attributes["max-age"]])).toEqual([
      ["jwt_refresh", "0"],
      ["jwt_access", "0"],
    ]);
  });

  it("dozens of concurrent refreshes of one cookie: each answer either rotates it or clears it, never a 500", async () => {
    const { cookie } = await cookieLogin();
    const answers = await Promise.all(Array.from({ length: 24 }, () => call("refresh", { cookie })));
    const ok = answers.filter((res) => res.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const res of answers) {
      expect([200, 401]).toContain(res.status);
      const cookies = setCookies(res.headers);
      if (res.status === 200) expect(cookies.find((c) => c.name === "jwt_refresh")?.value).not.toBe("");
      else expect(cookies.every((c) => c.attributes["max-age"] === "0")).toBe(true);
    }
  });

  it("logout revokes the cookie's token and clears both cookies", async () => {
    const { refresh, cookie } = await cookieLogin();
    const res = await call("logout", { cookie });
    expect(res.status).toBe(200);
    expect(setCookies(res.headers).every((c) => c.value === "" && c.attributes["max-age"] === "0")).toBe(true);
    const reuse = await http(app().url, "POST", "/api/token/refresh/", { body: { refresh } });
    expect(reuse.status).toBe(401);
    // Without a cookie, logout still answers and clears.
    expect((await call("logout")).status).toBe(200);
  });

  it("a login over an existing cookie ends the session that cookie held", async () => {
    const first = await cookieLogin();
    const res = await call("login", {
      cookie: first.cookie,
      body: { username: first.account.username, password: first.account.password },
    });
    expect(res.status).toBe(200);
    const reuse = await http(app().url, "POST", "/api/token/refresh/", { body: { refresh: first.refresh } });
    expect(reuse.status).toBe(401);
  });

  it("answers failures in tRPC's shape, with no cookie set", async () => {
    const { account } = await signUp(app());
    const wrong = await call("login", { body: { username: account.username, password: "not-the-password" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.data.appCode).toBe("authentication_failed");
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const missing = await call("login", { body: { username: account.username } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.data).toMatchObject({
      appCode: "validation_failed",
      fieldErrors: { password: expect.any(Array) },
    });
    const none = await call("refresh");
    expect(none.status).toBe(401);
    expect(none.body.error.data.appCode).toBe("not_authenticated");
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    const otp = await call("verifyOtp", { body: { username: account.username, otp: "000000" } });
    expect(otp.status).toBe(400);
    expect(otp.body.error.data.appCode).toBe("otp_invalid");
  });

  it("leaves the REST contract alone: /api/token/ still answers the pair in its body and sets no session cookie", async () => {
    const { account } = await signUp(app());
    const res = await http(app().url, "POST", "/api/token/", {
      body: { username: account.username, password: account.password },
    });
    expect(Object.keys(res.body)).toEqual(["refresh", "access"]);
    // Only the device token's cookie, which authorizes nothing (docs/security-and-operations.md).
    expect(res.headers.getSetCookie().map((cookie) => cookie.split("=")[0])).toEqual(["jwt_auth_device"]);
  });

  it("is off unless REFRESH_COOKIE is set", async () => {
    const plain = await startTestApp({});
    try {
      const res = await http(plain.url, "POST", "/auth/session/refresh", { body: {}, headers: FROM_APP });
      expect(res.status).toBe(404);
    } finally {
      await plain.app.stop();
      await plain.db.close();
    }
  });
});

describe("cookie mode refuses cross-site requests", () => {
  it("without the custom header, from another origin, or from an opaque one: 403, and the cookie is untouched", async () => {
    const { cookie } = await cookieLogin();
    const refusals: Array<Record<string, string>> = [
      { origin: APP_ORIGIN },
      { "x-requested-with": "jwt-auth", origin: "http://evil.example" },
      { "x-requested-with": "jwt-auth", origin: "null" },
      // The app's host under another scheme or port is another origin.
      { "x-requested-with": "jwt-auth", origin: "https://app.example" },
    ];
    for (const headers of refusals) {
      const res = await http(app().url, "POST", "/auth/session/refresh", { body: {}, headers: { ...headers, cookie } });
      expect(res.status).toBe(403);
      expect(res.body.error.data.appCode).toBe("permission_denied");
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    // A form post from another site: no custom header can be set; a text/plain form can carry JSON.
    for (const [type, raw] of [
      ["application/x-www-form-urlencoded", "x=1"],
      ["text/plain", "{}"],
    ] as const) {
      const form = await http(app().url, "POST", "/auth/session/logout", {
        raw,
        headers: { "content-type": type, origin: "http://evil.example", cookie },
      });
      expect([403, 415]).toContain(form.status);
      expect(form.headers.getSetCookie()).toEqual([]);
    }
    // None of these spent the token: it still rotates.
    expect((await call("refresh", { cookie })).status).toBe(200);
  });

  it("a preflight from another origin gets no CORS grant, so a browser never sends the header", async () => {
    const res = await http(app().url, "OPTIONS", "/auth/session/refresh", {
      headers: {
        origin: "http://evil.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-requested-with",
      },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("accepts the server's own origin (the Host), an allowed one, and clients that send no Origin", async () => {
    for (const origin of [new URL(app().url).origin, APP_ORIGIN, undefined]) {
      const { cookie } = await cookieLogin();
      const headers: Record<string, string> = { "x-requested-with": "jwt-auth", cookie };
      if (origin) headers.origin = origin;
      const res = await http(app().url, "POST", "/auth/session/refresh", { body: {}, headers });
      expect(res.status).toBe(200);
    }
  });
});

describe("getSession, for server-side rendering", () => {
  it("reads who is signed in from the access cookie, without rotating anything", async () => {
    const { account, cookie, refresh } = await cookieLogin();
    const session = await getSession(`theme=dark; ${cookie}`, { url: app().url });
    expect(session).toMatchObject({ status: "signed-in", user: { username: account.username } });
    // Nothing was rotated: the refresh cookie still works.
    expect((await call("refresh", { cookie: `jwt_refresh=${refresh}` })).status).toBe(200);
  });

  it("says expired for an access cookie past its time or refused, and signed-out without one", async () => {
    const { access } = await cookieLogin();
    const userId = decodePayload(access).user_id;
    const now = Math.floor(Date.now() / 1000);
    const old = await mint(accessClaims(userId, { iat: now - 600, exp: now - 300 }));
    expect(await getSession(`jwt_access=${old}`, { url: app().url })).toEqual({ status: "expired" });
    // Issued before a "log out everywhere" (a second earlier: revocation counts whole seconds).
    const earlier = await mint(accessClaims(userId, { iat: now - 10 }));
    expect((await getSession(`jwt_access=${earlier}`, { url: app().url })).status).toBe("signed-in");
    await app().caller(`Bearer ${access}`).user.revokeAllSessions();
    expect(await getSession(`jwt_access=${earlier}`, { url: app().url })).toEqual({ status: "expired" });
    expect(await getSession(undefined, { url: app().url })).toEqual({ status: "signed-out" });
    expect(await getSession("jwt_refresh=abc", { url: app().url })).toEqual({ status: "signed-out" });
  });
});

describe("the session's cookies in production", () => {
  it("are Secure, with __Secure- and __Host- names, and only the prefixed refresh cookie is read", () => {
    const sink: string[] = [];
    const settings = { enabled: true, sameSite: "Lax" as const, secure: true };
    const jar = sessionJar(settings, 86400, { cookie: "jwt_refresh=planted" }, sink);
    expect(jar.refreshToken()).toBeUndefined();
    jar.store("a.b.c", "r.s.t");
    expect(sink).toEqual([
      "__Secure-jwt_refresh=r.s.t; Path=/auth/session; Max-Age=86400; HttpOnly; Secure; SameSite=Lax",
      "__Host-jwt_access=a.b.c; Path=/; Max-Age=86400; HttpOnly; Secure; SameSite=Lax",
    ]);
    expect(sessionJar(settings, 86400, { cookie: "__Secure-jwt_refresh=r.s.t" }, []).refreshToken()).toBe("r.s.t");
  });
});
