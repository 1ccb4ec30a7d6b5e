import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMITS } from "../../server/services/throttle.js";
import { useTestApp } from "../helpers/app.js";
import { client } from "../helpers/http.js";
import { otpCode, startSmtp, type TestSmtp } from "../helpers/smtp.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp.stop());

// Requests come from 127.0.0.1, a trusted proxy: each test names its client in X-Forwarded-For.
const app = useTestApp({ env: () => ({ TRUSTED_PROXIES: "127.0.0.1", SMTP_URL: smtp.url }) });
const api = client(() => app().url);
let nextIp = 1;
const newIp = () => `198.51.100.${nextIp++}`;
const from = (ip: string) => ({ headers: { "x-forwarded-for": ip } });

async function account() {
  const body = newAccount();
  expect((await api.post("/api/users/register/", body)).status).toBe(201);
  return body;
}

function expectThrottled(res: { status: number; body: any; headers: Headers }) {
  expect(res.status).toBe(429);
  expect(res.body.detail).toMatch(/^Request was throttled\. Expected available in \d+ seconds\.$/);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
}

describe("brute-force limits, kept in PostgreSQL", () => {
  it("locks an account out of every password path after 10 failures a minute; other accounts from the same client go on", async () => {
    const victim = await account();
    const bystander = await account();
    const ip = newIp();
    for (let i = 0; i < LIMITS.passwordAccount.limit; i += 1) {
      const res = await api.post("/api/token/", { username: victim.username, password: `wrong-${i}` }, from(ip));
      expect(res.status).toBe(401);
    }
    // Even the right password waits, on every password path.
    expectThrottled(await api.post("/api/token/", { username: victim.username, password: STRONG_PASSWORD }, from(ip)));
    expectThrottled(
      await api.post("/api/login/", { username: victim.username, password: STRONG_PASSWORD }, from(newIp())),
    );
    const fromElsewhere = await api.post(
      "/api/token/",
      { username: victim.username, password: STRONG_PASSWORD },
      from(newIp()),
    );
    expectThrottled(fromElsewhere);
    // The same client logs into another account.
    expect(
      (await api.post("/api/token/", { username: bystander.username, password: STRONG_PASSWORD }, from(ip))).status,
    ).toBe(200);
    // tRPC answers the same, with the code and the wait.
    const trpc = await api.post("/trpc/auth.obtainToken", { username: victim.username, password: STRONG_PASSWORD });
    expect(trpc.status).toBe(429);
    expect(trpc.body.error.data).toMatchObject({ appCode: "throttled", retryAfter: expect.any(Number) });
    expect(Number(trpc.headers.get("retry-after"))).toBeGreaterThan(0);
    const lockouts = await app()
      .db.db.selectFrom("auth_events")
      .select("event")
      .where("event", "=", "lockout")
      .execute();
    expect(lockouts.length).toBeGreaterThanOrEqual(1);
  });

  it("counts wrong old passwords at change-password against the signed-in owner's own budget", async () => {
    const user = await account();
    const pair = (await api.post("/api/token/", { username: user.username, password: STRONG_PASSWORD }, from(newIp())))
      .body;
    for (let i = 0; i < LIMITS.passwordOwner.limit; i += 1) {
      const res = await api.post(
        "/api/users/change-password/",
        { old_password: `wrong-${i}`, password: "Brand-New-Secret-7", password2: "Brand-New-Secret-7" },
        { token: pair.access, ...from(newIp()) },
      );
      expect(res.body).toEqual({ old_password: ["Old password is not correct."] });
    }
    expectThrottled(
      await api.post(
        "/api/users/change-password/",
        { old_password: STRONG_PASSWORD, password: "Brand-New-Secret-7", password2: "Brand-New-Secret-7" },
        { token: pair.access, ...from(newIp()) },
      ),
    );
    // Nothing a token holder does there locks the account's logins.
    expect(
      (await api.post("/api/token/", { username: user.username, password: STRONG_PASSWORD }, from(newIp()))).status,
    ).toBe(200);
  });

  it("stops one client after a generous number of failures across accounts", async () => {
    const ip = newIp();
    let last = 0;
    for (let i = 0; i < LIMITS.passwordIp.limit; i += 1) {
      last = (await api.post("/api/token/", { username: `sprayed-${i}`, password: "Summer2026!" }, from(ip))).status;
    }
    expect(last).toBe(401);
    const user = await account();
    expectThrottled(await api.post("/api/token/", { username: user.username, password: STRONG_PASSWORD }, from(ip)));
    expect(
      (await api.post("/api/token/", { username: user.username, password: STRONG_PASSWORD }, from(newIp()))).status,
    ).toBe(200);
  });

  it("rations login codes per account", async () => {
    const user = await account();
    for (let i = 0; i < LIMITS.otpMailAccount.limit; i += 1) {
      expect(
        (await api.post("/api/login/", { username: user.username, password: STRONG_PASSWORD }, from(newIp()))).status,
      ).toBe(200);
    }
    expectThrottled(
      await api.post("/api/login/", { username: user.username, password: STRONG_PASSWORD }, from(newIp())),
    );
  });

  it("kills a code after 5 tries, and locks nothing the owner needs: a new login mails a code that works", async () => {
    const user = await account();
    const codeAfter = async (before: number) =>
      otpCode(await smtp.waitFor((m) => m.to === user.email && smtp.delivered.indexOf(m) >= before));
    let before = smtp.delivered.length;
    await api.post("/api/login/", { username: user.username, password: STRONG_PASSWORD }, from(newIp()));
    const first = await codeAfter(before);
    const wrong = first === "000000" ? "111111" : "000000";
    // A stranger who knows only the username guesses on and on.
    for (let i = 0; i < 12; i += 1) {
      const res = await api.post("/api/verify-otp/", { username: user.username, otp: wrong }, from(newIp()));
      expect(res.body).toEqual({ message: "Invalid or expired OTP." });
    }
    // The code is dead: five tries were all it had.
    expect((await api.post("/api/verify-otp/", { username: user.username, otp: first }, from(newIp()))).body).toEqual({
      message: "Invalid or expired OTP.",
    });
    before = smtp.delivered.length;
    await api.post("/api/login/", { username: user.username, password: STRONG_PASSWORD }, from(newIp()));
    const second = await codeAfter(before);
    const res = await api.post("/api/verify-otp/", { username: user.username, otp: second }, from(newIp()));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ refresh: expect.any(String), access: expect.any(String) });
  });

  it("rations reset mails per address, known or not, with the same answer for both", async () => {
    const user = await account();
    for (const email of [user.email, "nobody-here@example.com"]) {
      for (let i = 0; i < LIMITS.resetMailEmail.limit; i += 1) {
        expect((await api.post("/api/users/password-reset/", { email }, from(newIp()))).status).toBe(200);
      }
      expectThrottled(await api.post("/api/users/password-reset/", { email: email.toUpperCase() }, from(newIp())));
    }
  });

  it("shares the limits between app instances on one database", async () => {
    const { startTestApp } = await import("../helpers/app.js");
    const other = await startTestApp({ TRUSTED_PROXIES: "127.0.0.1" }, { database: app().db });
    try {
      const user = await account();
      for (let i = 0; i < LIMITS.passwordAccount.limit; i += 1) {
        await api.post("/api/token/", { username: user.username, password: `wrong-${i}` }, from(newIp()));
      }
      const res = await client(() => other.url).post(
        "/api/token/",
        { username: user.username, password: STRONG_PASSWORD },
        from(newIp()),
      );
      expectThrottled(res);
    } finally {
      await other.app.stop();
    }
  });
});
