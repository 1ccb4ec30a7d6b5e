import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../server/context.js";
import { createCaller } from "../../server/routers/app.js";
import { useTestApp } from "../helpers/app.js";
import { client } from "../helpers/http.js";
import { resetCredentials, startSmtp, type TestSmtp } from "../helpers/smtp.js";
import { countingStatements } from "../helpers/statements.js";
import { decodePayload } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// Revocation reaches every token issued before it, to the instant, and no
// token issued after it: whatever the clock's second, with no waiting.

let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp.stop());

const app = useTestApp({ env: () => ({ SMTP_URL: smtp.url }) });
const api = client(() => app().url);

async function account() {
  const body = newAccount();
  expect((await api.post("/api/users/register/", body)).status).toBe(201);
  return body;
}

const login = async (username: string, password = STRONG_PASSWORD) => {
  const res = await api.post("/api/token/", { username, password });
  expect(res.status, res.text).toBe(200);
  return res.body as { access: string; refresh: string };
};
const profileStatus = async (access: string) => (await api.get("/api/users/profile/", { token: access })).status;
const iat = (token: string) => decodePayload(token).iat as number;

describe("revocation reaches every token issued before it, to the instant", () => {
  it("log out everywhere refuses a token of the same second, and a login right after works at once", async () => {
    const user = await account();
    let sameSecond = 0;
    for (let round = 0; round < 5; round += 1) {
      const before = await login(user.username);
      const res = await api.post("/api/users/sessions/revoke-all/", {}, { token: before.access });
      expect(res.status).toBe(200);
      const after = await login(user.username);
      if (iat(before.access) === iat(after.access)) sameSecond += 1;
      expect([round, await profileStatus(before.access), await profileStatus(after.access)]).toEqual([round, 401, 200]);
      expect((await api.post("/api/token/refresh/", { refresh: before.refresh })).status).toBe(401);
    }
    // Each round's tokens were minted within one second of the revocation, on both sides of it.
    expect(sameSecond).toBeGreaterThan(0);
  });

  it("a password change and a reset refuse tokens of the same second; new ones work at once", async () => {
    const user = await account();
    const before = await login(user.username);
    const changed = await api.post(
      "/api/users/change-password/",
      { old_password: STRONG_PASSWORD, password: "Changed-Now-77q", password2: "Changed-Now-77q" },
      { token: before.access },
    );
    expect(changed.status).toBe(200);
    const after = await login(user.username, "Changed-Now-77q");
    expect([await profileStatus(before.access), await profileStatus(after.access)]).toEqual([401, 200]);

    const mark = smtp.delivered.length;
    await api.post("/api/users/password-reset/", { email: user.email });
    const link = resetCredentials(
      await smtp.waitFor((m) => m.to === user.email && /^token: /m.test(m.text) && smtp.delivered.indexOf(m) >= mark),
    );
    const reset = await api.post("/api/users/password-reset/confirm/", {
      ...link,
      password: "Reset-Now-88r",
      password2: "Reset-Now-88r",
    });
    expect(reset.status).toBe(200);
    const fresh = await login(user.username, "Reset-Now-88r");
    expect([await profileStatus(after.access), await profileStatus(fresh.access)]).toEqual([401, 200]);
  });

  it("an attacker refreshing as fast as possible keeps nothing after the victim logs out everywhere", async () => {
    const user = await account();
    const stolen = await login(user.username);
    const victim = await login(user.username);
    let current = stolen.refresh;
    const accessTokens: string[] = [stolen.access];
    let stop = false;
    const deadline = Date.now() + 10_000;
    // Four loops racing on the stolen session, each rotating whatever it last got.
    const attacker = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop && Date.now() < deadline + 10_000) {
          const res = await api.post("/api/token/refresh/", { refresh: current });
          if (res.status !== 200) continue;
          current = res.body.refresh;
          accessTokens.push(res.body.access);
        }
      }),
    );
    // Let the attacker get going, then the victim logs out everywhere.
    while (accessTokens.length < 10 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(accessTokens.length).toBeGreaterThanOrEqual(10);
    const revoked = await api.post("/api/users/sessions/revoke-all/", {}, { token: victim.access });
    expect(revoked.status).toBe(200);
    const heldAtRevocation = accessTokens.length;
    stop = true;
    await attacker;
    // Whatever the attacker got, before or during the revocation, is refused now.
    const statuses = await Promise.all(accessTokens.map(profileStatus));
    expect(statuses.every((status) => status === 401)).toBe(true);
    expect((await api.post("/api/token/refresh/", { refresh: current })).status).toBe(401);
    expect(accessTokens.length).toBeGreaterThanOrEqual(heldAtRevocation);
  });

  it("ending one session refuses its access tokens, and only its own", async () => {
    const user = await account();
    const kept = await login(user.username);
    const ended = await login(user.username);
    const sessions = (await api.get("/api/users/sessions/", { token: kept.access })).body as Array<{
      id: string;
      current: boolean;
    }>;
    const other = sessions.find((session) => !session.current);
    expect((await api.delete(`/api/users/sessions/${other?.id}/`, { token: kept.access })).status).toBe(204);
    expect([await profileStatus(ended.access), await profileStatus(kept.access)]).toEqual([401, 200]);
    // Logging out by refresh token (the blacklist endpoint) does the same.
    const loggedOut = await login(user.username);
    expect((await api.post("/api/token/blacklist/", { refresh: loggedOut.refresh })).status).toBe(200);
    expect([await profileStatus(loggedOut.access), await profileStatus(kept.access)]).toEqual([401, 200]);
    // Tasks, whose statements check the token themselves, refuse it too.
    const created = await api.post("/api/tasks/", { title: "after logout" }, { token: loggedOut.access });
    expect(created.status).toBe(401);
  });

  it("a session ended by reuse detection refuses its access tokens", async () => {
    const user = await account();
    const pair = await login(user.username);
    const rotated = await api.post("/api/token/refresh/", { refresh: pair.refresh });
    expect(rotated.status).toBe(200);
    // Presented again long after its rotation: the reuse interval is over.
    await app()
      .db.db.updateTable("refresh_tokens")
      .set({ revoked_at: sql<Date>`now() - interval '1 hour'` })
      .where("jti", "=", decodePayload(pair.refresh).jti as string)
      .execute();
    expect((await api.post("/api/token/refresh/", { refresh: pair.refresh })).status).toBe(401);
    expect([await profileStatus(pair.access), await profileStatus(rotated.body.access)]).toEqual([401, 401]);
  });

  it("checks user and session in the one statement that already read the user: no extra round trip", async () => {
    const user = await account();
    const pair = await login(user.username);
    const { db, counter } = countingStatements(app().db.db);
    const caller = createCaller(createContext({ ...app().app.deps, db }, { authorization: `Bearer ${pair.access}` }));
    await caller.user.me();
    expect(counter.statements).toBe(1);
    // The task list checks the token in its own statement: still one round trip, with tasks or without.
    counter.statements = 0;
    expect(await caller.task.list()).toEqual([]);
    expect(counter.statements).toBe(1);
    await caller.task.create({ title: "one" });
    counter.statements = 0;
    expect((await caller.task.list()).map((task) => task.title)).toEqual(["one"]);
    expect(counter.statements).toBe(1);
  });

  it("the task list tells an owner without tasks from a token its user no longer accepts", async () => {
    const user = await account();
    const pair = await login(user.username);
    const list = (access: string, query = "") => api.get(`/api/tasks/${query}`, { token: access });
    expect([(await list(pair.access)).status, (await list(pair.access)).body]).toEqual([200, []]);
    expect((await api.post("/api/tasks/", { title: "kept" }, { token: pair.access })).status).toBe(201);
    // Filters that match nothing leave an empty list, not a refusal.
    expect((await list(pair.access, "?search=nothing-like-it")).body).toEqual([]);
    expect((await list(pair.access, "?is_completed=true")).body).toEqual([]);
    expect((await list(pair.access)).body).toMatchObject([{ title: "kept" }]);

    // Revoked: the answer authentication gives elsewhere (the profile's), word for word.
    const revoked = await login(user.username);
    expect((await api.post("/api/token/blacklist/", { refresh: revoked.refresh })).status).toBe(200);
    const refused = await list(revoked.access);
    const profile = await api.get("/api/users/profile/", { token: revoked.access });
    expect([refused.status, refused.body]).toEqual([401, profile.body]);

    // Deactivated: DRF's "User is inactive", as on the profile.
    await app().db.db.updateTable("users").set({ is_active: false }).where("username", "=", user.username).execute();
    const inactive = await list(pair.access);
    const inactiveProfile = await api.get("/api/users/profile/", { token: pair.access });
    expect(inactive.status).toBe(401);
    expect(inactive.body).toEqual(inactiveProfile.body);
    expect(JSON.stringify(inactive.body)).toMatch(/inactive/i);
  });
});
