import { describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/run.js";
import { fastHasher, testConfig, useTestApp } from "../helpers/app.js";
import { scriptedIO } from "../helpers/cli.js";
import { appError } from "../helpers/errors.js";
import { client, rawRequest } from "../helpers/http.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const app = useTestApp({ env: { TRUSTED_PROXIES: "127.0.0.1" } });
const api = client(() => app().url);

async function account() {
  const body = newAccount();
  expect((await api.post("/api/users/register/", body)).status).toBe(201);
  return body;
}

async function login(username: string, headers: Record<string, string> = {}) {
  const res = await api.post("/api/token/", { username, password: STRONG_PASSWORD }, { headers });
  expect(res.status, res.text).toBe(200);
  return res.body as { access: string; refresh: string };
}

async function cli(argv: string[]) {
  const { io, out, err } = scriptedIO();
  const code = await runCli(argv, { io, loadConfig: () => testConfig(), database: app().db, hasher: fastHasher });
  return { code, out: [...out, ...err].join("\n") };
}

const refused = { detail: "Given token not valid for any token type", code: "token_not_valid" };

describe("sessions: list, revoke one, log out everywhere", () => {
  it("lists each login as a session with its user agent, client IP and the current one marked", async () => {
    const user = await account();
    const laptop = await login(user.username, { "user-agent": "Laptop/1.0", "x-forwarded-for": "203.0.113.7" });
    await login(user.username, { "user-agent": "Phone/2.0", "x-forwarded-for": "198.51.100.9" });
    const res = await api.get("/api/users/sessions/", { token: laptop.access });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(2);
    const mine = res.body.find((session: { current: boolean }) => session.current);
    expect(mine).toMatchObject({ user_agent: "Laptop/1.0", ip: "203.0.113.7" });
    const other = res.body.find((session: { current: boolean }) => !session.current);
    expect(other).toMatchObject({ user_agent: "Phone/2.0", ip: "198.51.100.9" });
    expect(Object.keys(mine).sort()).toEqual([
      "created_at",
      "current",
      "expires_at",
      "id",
      "ip",
      "last_used_at",
      "user_agent",
    ]);
    // A refresh keeps the session (the same id) and moves its last use.
    const refreshed = await api.post(
      "/api/token/refresh/",
      { refresh: laptop.refresh },
      { headers: { "user-agent": "Laptop/1.1" } },
    );
    const after = await api.get("/api/users/sessions/", { token: refreshed.body.access });
    expect(after.body.find((session: { current: boolean }) => session.current)).toMatchObject({
      id: mine.id,
      user_agent: "Laptop/1.1",
    });
  });

  it("revokes one session: its refresh token dies, other sessions and other users' sessions stay", async () => {
    const user = await account();
    const stranger = await account();
    const first = await login(user.username);
    const second = await login(user.username);
    const strangerPair = await login(stranger.username);
    const sessions = (await api.get("/api/users/sessions/", { token: first.access })).body as Array<{
      id: string;
      current: boolean;
    }>;
    const secondId = sessions.find((session) => !session.current)?.id ?? "";

    const strangers = (await api.get("/api/users/sessions/", { token: strangerPair.access })).body as Array<{
      id: string;
    }>;
    const notMine = await api.delete(`/api/users/sessions/${strangers[0]?.id}/`, { token: first.access });
    expect([notMine.status, notMine.body]).toEqual([404, { detail: "Not found." }]);

    const res = await api.delete(`/api/users/sessions/${secondId}/`, { token: first.access });
    expect([res.status, res.text]).toEqual([204, ""]);
    expect((await api.post("/api/token/refresh/", { refresh: second.refresh })).status).toBe(401);
    expect((await api.post("/api/token/refresh/", { refresh: first.refresh })).status).toBe(200);
    expect((await api.post("/api/token/refresh/", { refresh: strangerPair.refresh })).status).toBe(200);
    expect((await api.delete(`/api/users/sessions/${secondId}/`, { token: first.access })).status).toBe(404);
    // Ids no session can have are not found either, never a database error.
    for (const id of ["%00", "a%00b", "%ED%A0%80"]) {
      const odd = await api.delete(`/api/users/sessions/${id}/`, { token: first.access });
      expect([id, odd.status]).toEqual([id, 404]);
    }
    const caller = app().caller(`Bearer ${first.access}`);
    for (const id of ["\u0000", "a\u0000b", "\ud800"]) {
      const error = await caller.user.revokeSession({ id }).catch((e: unknown) => e);
      expect([id, (error as { code?: string }).code]).toEqual([id, "NOT_FOUND"]);
    }
  });

  it("logs out everywhere: every session ends and every access token issued so far is refused", async () => {
    const user = await account();
    const a = await login(user.username);
    const b = await login(user.username);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const res = await api.post("/api/users/sessions/revoke-all/", {}, { token: a.access });
    expect([res.status, res.body]).toEqual([200, { revoked: 2 }]);
    for (const pair of [a, b]) {
      const profile = await api.get("/api/users/profile/", { token: pair.access });
      expect([profile.status, profile.body.code]).toEqual([401, refused.code]);
      expect((await api.post("/api/token/refresh/", { refresh: pair.refresh })).status).toBe(401);
    }
    const fresh = await login(user.username);
    expect((await api.get("/api/users/profile/", { token: fresh.access })).status).toBe(200);
    const events = await cli(["audit", "--user", user.username, "--event", "logout_everywhere"]);
    expect(events.out).toContain("logout_everywhere");
  });

  it("serves the same over tRPC", async () => {
    const user = await account();
    const pair = await login(user.username);
    const caller = app().caller(`Bearer ${pair.access}`);
    const sessions = await caller.user.sessions();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.current).toBe(true);
    await caller.user.revokeSession({ id: sessions[0]?.id ?? "" });
    // Its own session ended, so its access token is refused from now on.
    expect((await appError(caller.user.sessions())).code).toBe("token_not_valid");
    const again = await login(user.username);
    const listed = await app().caller(`Bearer ${again.access}`).user.sessions();
    expect(listed.map((session) => session.current)).toEqual([true]);
  });
});

describe("revocation that reaches access tokens", () => {
  it("a password change refuses the access tokens issued before it; a new login works", async () => {
    const user = await account();
    const before = await login(user.username);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const res = await api.post(
      "/api/users/change-password/",
      { old_password: STRONG_PASSWORD, password: "Another-Str0ng-Phrase", password2: "Another-Str0ng-Phrase" },
      { token: before.access },
    );
    expect(res.status).toBe(200);
    const old = await api.get("/api/users/profile/", { token: before.access });
    expect([old.status, old.body]).toEqual([
      401,
      {
        ...refused,
        messages: [{ token_class: "AccessToken", token_type: "access", message: "Token is invalid or expired" }],
      },
    ]);
    const again = await api.post("/api/token/", { username: user.username, password: "Another-Str0ng-Phrase" });
    expect((await api.get("/api/users/profile/", { token: again.body.access })).status).toBe(200);
  });

  it("deactivation refuses the tokens issued before it, even after reactivation; both are audited", async () => {
    const user = await account();
    const pair = await login(user.username);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await cli(["user", "deactivate", user.username])).code).toBe(0);
    const inactive = await api.get("/api/users/profile/", { token: pair.access });
    expect([inactive.status, inactive.body]).toEqual([401, { detail: "User is inactive", code: "user_inactive" }]);
    expect((await cli(["user", "activate", user.username])).code).toBe(0);
    expect((await api.get("/api/users/profile/", { token: pair.access })).body.code).toBe("token_not_valid");
    expect((await api.post("/api/token/refresh/", { refresh: pair.refresh })).status).toBe(401);
    expect((await api.get("/api/users/profile/", { token: (await login(user.username)).access })).status).toBe(200);
    const audit = await cli(["audit", "--user", user.username]);
    expect(audit.out).toMatch(/user_activated[\s\S]*user_deactivated[\s\S]*login_succeeded/);
  });

  it("believes X-Forwarded-For only from trusted proxies", async () => {
    const { startTestApp } = await import("../helpers/app.js");
    const direct = await startTestApp();
    try {
      const user = newAccount();
      await rawRequest(
        direct.url,
        "POST",
        "/api/users/register/",
        { "content-type": "application/json" },
        JSON.stringify(user),
      );
      await rawRequest(
        direct.url,
        "POST",
        "/api/token/",
        { "content-type": "application/json", "x-forwarded-for": "203.0.113.99" },
        JSON.stringify({ username: user.username, password: STRONG_PASSWORD }),
      );
      const event = await direct.db.db
        .selectFrom("auth_events")
        .select("ip")
        .where("event", "=", "login_succeeded")
        .executeTakeFirstOrThrow();
      expect(event.ip).toBe("127.0.0.1");
    } finally {
      await direct.app.stop();
      await direct.db.close();
    }
  });
});
