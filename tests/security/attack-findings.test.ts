import { describe, expect, it } from "vitest";
import { LIMITS } from "../../server/services/throttle.js";
import { countingHasher, useTestApp } from "../helpers/app.js";
import { client, type HttpResult } from "../helpers/http.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// Found attacking the running server from outside, with parallel HTTP requests
// against real PostgreSQL: limits that held for the paths they were built for,
// and not for a neighbouring one.

const counting = countingHasher();
// Requests come from 127.0.0.1, a trusted proxy: each test names its client in X-Forwarded-For.
const app = useTestApp({ env: () => ({ TRUSTED_PROXIES: "127.0.0.1" }), hasher: counting.hasher });
const api = client(() => app().url);
let nextIp = 1;
const newIp = () => {
  const n = nextIp++;
  return `10.77.${(n >> 8) & 255}.${n & 255}`;
};
const from = (ip: string, headers: Record<string, string> = {}) => ({
  headers: { "x-forwarded-for": ip, ...headers },
});

const statuses = (results: HttpResult[]) => {
  const tally: Record<number, number> = {};
  for (const { status } of results) tally[status] = (tally[status] ?? 0) + 1;
  return tally;
};

const passwordChecks = () => counting.calls.verify + counting.calls.verifyNothing;
const NEW_PASSWORD = "Another-Battery-7-Staple";

describe("device tokens prove the owner's devices, not whoever once knew the password", () => {
  it("a password change ends the trust of device tokens issued before it: harvested tokens get no budgets of their own", async () => {
    const victim = newAccount();
    expect((await api.post("/api/users/register/", victim, from(newIp()))).status).toBe(201);
    // The attacker knew the password once (phished, leaked) and logged in 20 times, keeping each device token.
    const harvested: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await api.post(
        "/api/token/",
        { username: victim.username, password: STRONG_PASSWORD },
        from(newIp()),
      );
      expect(res.status).toBe(200);
      harvested.push(res.headers.get("x-device-token") ?? "");
    }
    // The owner does what the docs say after a compromise: changes the password (every session ends).
    const owner = await api.post(
      "/api/token/",
      { username: victim.username, password: STRONG_PASSWORD },
      from(newIp()),
    );
    const changed = await api.post(
      "/api/users/change-password/",
      { old_password: STRONG_PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD },
      { ...from(newIp()), token: owner.body.access },
    );
    expect(changed.status).toBe(200);

    // 12 parallel guesses at the new password per harvested token, all from one address.
    const ip = newIp();
    const before = passwordChecks();
    const guesses = await Promise.all(
      harvested.flatMap((token, k) =>
        Array.from({ length: 12 }, (_, i) =>
          api.post(
            "/api/token/",
            { username: victim.username, password: `guess-${k}-${i}` },
            from(ip, { "x-device-token": token }),
          ),
        ),
      ),
    );
    // Those tokens are now no better than none: the account's pool for unknown clients, 10 checks in all.
    // (Before the fix: { 401: 200, 429: 40 } and 200 checks of the new password.)
    expect(statuses(guesses)).toEqual({ 401: LIMITS.passwordAccount.limit, 429: 240 - LIMITS.passwordAccount.limit });
    expect(passwordChecks() - before).toBe(LIMITS.passwordAccount.limit);
  });

  it("the owner's device logging in after the change gets a token that works again", async () => {
    const user = newAccount();
    expect((await api.post("/api/users/register/", user, from(newIp()))).status).toBe(201);
    const first = await api.post("/api/token/", { username: user.username, password: STRONG_PASSWORD }, from(newIp()));
    const changed = await api.post(
      "/api/users/change-password/",
      { old_password: STRONG_PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD },
      { ...from(newIp()), token: first.body.access },
    );
    expect(changed.status).toBe(200);
    const again = await api.post(
      "/api/token/",
      { username: user.username, password: NEW_PASSWORD },
      from(newIp(), { "x-device-token": first.headers.get("x-device-token") ?? "" }),
    );
    expect(again.status).toBe(200);
    const fresh = again.headers.get("x-device-token") ?? "";
    // A stranger spends the pool for unknown clients; the fresh device token still gets in.
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api.post("/api/token/", { username: user.username, password: `stranger-${i}` }, from(newIp())),
      ),
    );
    const owner = await api.post(
      "/api/token/",
      { username: user.username, password: NEW_PASSWORD },
      from(newIp(), { "x-device-token": fresh }),
    );
    expect(owner.status).toBe(200);
  });
});

describe("the registration ceiling also bounds the taken-username and taken-email answers", () => {
  it("a client whose sign-ups are throttled cannot keep probing emails with invalid bodies", async () => {
    const known = newAccount();
    expect((await api.post("/api/users/register/", known, from(newIp()))).status).toBe(201);
    const ip = newIp();
    const signups = await Promise.all(
      Array.from({ length: LIMITS.registrationIp.limit + 10 }, () =>
        api.post("/api/users/register/", newAccount(), from(ip)),
      ),
    );
    expect(statuses(signups)).toEqual({ 201: LIMITS.registrationIp.limit, 429: 10 });
    // No password: the body is invalid, yet DRF's answer names a taken email. (Before the fix: 300 × 400,
    // 30 of them "A user with that email already exists.")
    const probes = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        i % 2 === 0
          ? api.post("/api/users/register/", { email: i % 10 === 0 ? known.email : `probe-${i}@example.com` }, from(ip))
          : api.post("/trpc/auth.register", { email: i % 10 === 1 ? known.email : `probe-${i}@example.com` }, from(ip)),
      ),
    );
    expect(statuses(probes)).toEqual({ 429: 300 });
    for (const res of probes) expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("invalid sign-ups count against the same ceiling as valid ones", async () => {
    const ip = newIp();
    const probes = await Promise.all(
      Array.from({ length: LIMITS.registrationIp.limit + 50 }, (_, i) =>
        api.post("/api/users/register/", { username: `probe${i}`, email: `probe-${i}@example.com` }, from(ip)),
      ),
    );
    expect(statuses(probes)).toEqual({ 400: LIMITS.registrationIp.limit, 429: 50 });
  });
});

describe("a wrong login code says nothing about which accounts exist", () => {
  it("an unknown, an inactive and a real account's wrong codes take the same path: one try taken, one audit row", async () => {
    const real = newAccount();
    const inactive = newAccount();
    for (const account of [real, inactive]) {
      expect((await api.post("/api/users/register/", account, from(newIp()))).status).toBe(201);
    }
    await app()
      .db.db.updateTable("users")
      .set({ is_active: false })
      .where("username", "=", inactive.username)
      .execute();
    const ghost = `ghost${Date.now()}`;

    const answers = await Promise.all(
      [real.username, inactive.username, ghost].map((username) =>
        api.post("/api/verify-otp/", { username, otp: "123456" }, from(newIp())),
      ),
    );
    expect(answers.map(({ status, body }) => ({ status, body }))).toEqual(
      Array(3).fill({ status: 400, body: answers[0]?.body }),
    );
    const trail = await app()
      .db.db.selectFrom("auth_events as e")
      .leftJoin("users as u", "u.id", "e.user_id")
      .select((eb) => eb.fn.coalesce("u.username", "e.username").as("username"))
      .where("e.event", "=", "otp_failed")
      .where((eb) => eb.fn.coalesce("u.username", "e.username"), "in", [real.username, inactive.username, ghost])
      .execute();
    expect(trail.map((row) => row.username).sort()).toEqual([real.username, inactive.username, ghost].sort());
  });
});
