import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMITS } from "../../server/services/throttle.js";
import { countingHasher, useTestApp } from "../helpers/app.js";
import { client, type HttpResult } from "../helpers/http.js";
import { otpCode, startSmtp, type TestSmtp } from "../helpers/smtp.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// An attacker's parallel requests, against real HTTP and the real database:
// every counter is taken before the work it guards, so however many attempts
// are in flight at once, no more than the limit are ever evaluated.

let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp.stop());

const counting = countingHasher();
// Requests come from 127.0.0.1, a trusted proxy: each test names its client in X-Forwarded-For.
const app = useTestApp({
  env: () => ({ TRUSTED_PROXIES: "127.0.0.1", SMTP_URL: smtp.url }),
  hasher: counting.hasher,
});
const api = client(() => app().url);
let nextIp = 1;
const newIp = () => {
  const n = nextIp++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};
const from = (ip: string) => ({ headers: { "x-forwarded-for": ip } });

async function account() {
  const body = newAccount();
  expect((await api.post("/api/users/register/", body, from(newIp()))).status).toBe(201);
  return body;
}

const statuses = (results: HttpResult[]) => {
  const tally: Record<number, number> = {};
  for (const { status } of results) tally[status] = (tally[status] ?? 0) + 1;
  return tally;
};

function expectEveryThrottleToSayWhen(results: HttpResult[]) {
  for (const res of results.filter((r) => r.status === 429)) {
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  }
}

const passwordChecks = () => counting.calls.verify + counting.calls.verifyNothing;

describe("attempts are counted before they are evaluated", () => {
  it("of 300 parallel wrong passwords for one account, 10 are checked; the right one sent last is refused", async () => {
    const victim = await account();
    const before = passwordChecks();
    const guesses = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        api.post("/api/token/", { username: victim.username, password: `guess-${i}` }, from(newIp())),
      ),
    );
    expect(statuses(guesses)).toEqual({ 401: LIMITS.passwordAccount.limit, 429: 300 - LIMITS.passwordAccount.limit });
    expect(passwordChecks() - before).toBe(LIMITS.passwordAccount.limit);
    expectEveryThrottleToSayWhen(guesses);
    const right = await api.post(
      "/api/token/",
      { username: victim.username, password: STRONG_PASSWORD },
      from(newIp()),
    );
    expect(right.status).toBe(429);
    expect(passwordChecks() - before).toBe(LIMITS.passwordAccount.limit);
  });

  it("of 60 parallel guesses, exactly 10 get 401 and the rest 429, on tRPC as on REST", async () => {
    const victim = await account();
    const guesses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 === 0
          ? api.post("/api/token/", { username: victim.username, password: `guess-${i}` }, from(newIp()))
          : api.post("/trpc/auth.obtainToken", { username: victim.username, password: `guess-${i}` }, from(newIp())),
      ),
    );
    expect(statuses(guesses)).toEqual({ 401: 10, 429: 50 });
    expectEveryThrottleToSayWhen(guesses);
  });

  it("holds one client IP to its ceiling of checked passwords, whatever the accounts", async () => {
    const ip = newIp();
    const before = passwordChecks();
    const sprayed = await Promise.all(
      Array.from({ length: LIMITS.passwordIp.limit + 150 }, (_, i) =>
        api.post("/api/token/", { username: `sprayed-${i}-${ip}`, password: "Summer2026!" }, from(ip)),
      ),
    );
    expect(statuses(sprayed)).toEqual({ 401: LIMITS.passwordIp.limit, 429: 150 });
    expect(passwordChecks() - before).toBe(LIMITS.passwordIp.limit);
  });

  it("holds one IPv6 /64 to one ceiling: a client cannot spread its guesses over its 2^64 addresses", async () => {
    const prefix = `2001:db8:${(nextIp++).toString(16)}:1`;
    const before = passwordChecks();
    const sprayed = await Promise.all(
      Array.from({ length: LIMITS.passwordIp.limit + 50 }, (_, i) =>
        api.post(
          "/api/token/",
          { username: `sprayed6-${i}-${prefix}`, password: "Summer2026!" },
          from(`${prefix}:${(i + 1).toString(16)}::${(i * 7 + 3).toString(16)}`),
        ),
      ),
    );
    expect(statuses(sprayed)).toEqual({ 401: LIMITS.passwordIp.limit, 429: 50 });
    expect(passwordChecks() - before).toBe(LIMITS.passwordIp.limit);
  });

  it("lets one account log in many times at once from one address: every login gets its tokens", async () => {
    // Two tabs, a retry: takes and settles of the same two counters interleave (they once deadlocked).
    const { username } = await account();
    const ip = newIp();
    for (let round = 0; round < 8; round += 1) {
      const logins = await Promise.all(
        Array.from({ length: LIMITS.passwordAccount.limit }, () =>
          api.post("/api/token/", { username, password: STRONG_PASSWORD }, from(ip)),
        ),
      );
      expect(statuses(logins)).toEqual({ 200: LIMITS.passwordAccount.limit });
    }
  });

  it("gives successful logins their IP hit back: a busy office is never throttled for logging in", async () => {
    const office = await Promise.all(Array.from({ length: 50 }, () => account()));
    const ip = newIp();
    const logins = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        api.post("/api/token/", { username: office[i % 50]?.username, password: STRONG_PASSWORD }, from(ip)),
      ),
    );
    expect(statuses(logins)).toEqual({ 200: 150 });
    // Their hits came back: the whole ceiling is still there for mistakes.
    const typos = await Promise.all(
      Array.from({ length: LIMITS.passwordIp.limit }, (_, i) =>
        api.post("/api/token/", { username: office[i % 50]?.username, password: `typo-${i}` }, from(ip)),
      ),
    );
    expect(statuses(typos)).toEqual({ 401: LIMITS.passwordIp.limit });
  });

  it("compares a login code at most 5 times, however many guesses arrive at once", async () => {
    const user = await account();
    const before = smtp.delivered.length;
    expect(
      (await api.post("/api/login/", { username: user.username, password: STRONG_PASSWORD }, from(newIp()))).status,
    ).toBe(200);
    const code = otpCode(await smtp.waitFor((m) => m.to === user.email && smtp.delivered.indexOf(m) >= before));
    // 60 guesses that never include the code, and the code itself in the middle of them.
    const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0");
    const attempts = Array.from({ length: 61 }, (_, i) =>
      api.post("/api/verify-otp/", { username: user.username, otp: i === 30 ? code : wrong(i) }, from(newIp())),
    );
    const results = await Promise.all(attempts);
    // Five tries were taken; the right code may have been one of them, else it came too late.
    const successes = results.filter((res) => res.status === 200).length;
    expect(successes).toBeLessThanOrEqual(1);
    const tried = await app()
      .db.db.selectFrom("otp_codes")
      .select("failed_attempts")
      .where("user_id", "=", (await userId(user.username)) as number)
      .executeTakeFirst();
    // Used (and gone), or out of tries.
    expect(tried?.failed_attempts).toBe(successes === 1 ? undefined : 5);
    const events = await app()
      .db.db.selectFrom("auth_events")
      .select("event")
      .where("user_id", "=", (await userId(user.username)) as number)
      .where("event", "=", "otp_failed")
      .execute();
    expect(events.length).toBe(60 + 1 - successes);
    // Dead or used, the code opens nothing now.
    const late = await api.post("/api/verify-otp/", { username: user.username, otp: code }, from(newIp()));
    expect(late.status).toBe(400);
  });

  it("lets exactly one of 40 parallel right answers use a login code", async () => {
    const user = await account();
    const before = smtp.delivered.length;
    await api.post("/api/login/", { username: user.username, password: STRONG_PASSWORD }, from(newIp()));
    const code = otpCode(await smtp.waitFor((m) => m.to === user.email && smtp.delivered.indexOf(m) >= before));
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        api.post("/api/verify-otp/", { username: user.username, otp: code }, from(newIp())),
      ),
    );
    expect(statuses(results)).toEqual({ 200: 1, 400: 39 });
  });

  it("holds reset confirmations with wrong tokens to 20 per client IP, before looking them up", async () => {
    const ip = newIp();
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        api.post(
          "/api/users/password-reset/confirm/",
          { uid: "MQ", token: `not-a-token-${i}`, password: "Brand-New-Secret-7", password2: "Brand-New-Secret-7" },
          from(ip),
        ),
      ),
    );
    expect(statuses(results)).toEqual({ 400: LIMITS.resetConfirmIp.limit, 429: 80 - LIMITS.resetConfirmIp.limit });
    expectEveryThrottleToSayWhen(results);
  });

  it("holds sign-ups to 100 per client IP, counted before any password is hashed", async () => {
    const ip = newIp();
    const before = counting.calls.hash;
    const results = await Promise.all(
      Array.from({ length: 130 }, () => api.post("/api/users/register/", newAccount(), from(ip))),
    );
    expect(statuses(results)).toEqual({ 201: LIMITS.registrationIp.limit, 429: 130 - LIMITS.registrationIp.limit });
    expect(counting.calls.hash - before).toBe(LIMITS.registrationIp.limit);
    expectEveryThrottleToSayWhen(results);
  });

  it("still mails at most 5 login codes an account, however many logins arrive at once", async () => {
    const user = await account();
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        api.post("/api/login/", { username: user.username, password: STRONG_PASSWORD }, from(newIp())),
      ),
    );
    expect(statuses(results)).toEqual({ 200: LIMITS.otpMailAccount.limit, 429: 30 - LIMITS.otpMailAccount.limit });
  });
});

async function userId(username: string) {
  const row = await app().db.db.selectFrom("users").select("id").where("username", "=", username).executeTakeFirst();
  return row?.id;
}
