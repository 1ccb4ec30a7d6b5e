import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMITS } from "../../server/services/throttle.js";
import { useTestApp } from "../helpers/app.js";
import { client, type HttpResult } from "../helpers/http.js";
import { resetCredentials, startSmtp, type TestSmtp } from "../helpers/smtp.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// A stranger who knows a username can lock that account out of clients it has
// never logged in from, and no further: the owner's own devices, a reset and a
// password change get the owner back in.

let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp.stop());

const app = useTestApp({ env: () => ({ TRUSTED_PROXIES: "127.0.0.1", SMTP_URL: smtp.url }) });
const api = client(() => app().url);
let nextIp = 1;
const newIp = () => {
  const n = nextIp++;
  return `10.9.${(n >> 8) & 255}.${n & 255}`;
};
const from = (ip: string, headers: Record<string, string> = {}) => ({
  headers: { "x-forwarded-for": ip, ...headers },
});

async function account() {
  const body = newAccount();
  expect((await api.post("/api/users/register/", body, from(newIp()))).status).toBe(201);
  return body;
}

const login = (username: string, password: string, headers: Record<string, string> = {}) =>
  api.post("/api/token/", { username, password }, from(newIp(), headers));

/** A stranger's burst of wrong passwords, in parallel, until the account's pool for unknown clients is spent. */
async function attack(username: string, count = 60) {
  const results = await Promise.all(Array.from({ length: count }, (_, i) => login(username, `stranger-${i}`)));
  expect(results.filter((res) => res.status === 429).length).toBe(count - LIMITS.passwordAccount.limit);
}

const deviceToken = (res: HttpResult) => res.headers.get("x-device-token") ?? "";
const deviceCookie = (res: HttpResult) => /jwt_auth_device=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];

describe("a stranger cannot lock the owner out", () => {
  it("hands a device token back on a successful login: a header for programs, an HttpOnly cookie for browsers", async () => {
    const user = await account();
    const res = await login(user.username, STRONG_PASSWORD);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["refresh", "access"]);
    expect(deviceToken(res)).toMatch(/^v1\.\d+\.[\w-]{22}\.[\w-]{43}$/);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toContain(`jwt_auth_device=${deviceToken(res)}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    // A failed login hands nothing back.
    const failed = await login(user.username, "not-it");
    expect(failed.headers.get("x-device-token")).toBeNull();
    expect(failed.headers.get("set-cookie")).toBeNull();
  });

  it("keeps the owner's device working while a stranger's parallel guesses lock the account", async () => {
    const user = await account();
    const earlier = await login(user.username, STRONG_PASSWORD);
    await attack(user.username);
    // A client that never logged in waits, the right password included.
    expect((await login(user.username, STRONG_PASSWORD)).status).toBe(429);
    // The owner's device, by header as by cookie, over REST as over tRPC.
    expect((await login(user.username, STRONG_PASSWORD, { "x-device-token": deviceToken(earlier) })).status).toBe(200);
    expect(
      (await login(user.username, STRONG_PASSWORD, { cookie: `jwt_auth_device=${deviceCookie(earlier)}` })).status,
    ).toBe(200);
    const trpc = await api.post(
      "/trpc/auth.obtainToken",
      { username: user.username, password: STRONG_PASSWORD },
      from(newIp(), { "x-device-token": deviceToken(earlier) }),
    );
    expect(trpc.status).toBe(200);
    expect(trpc.headers.get("x-device-token")).toMatch(/^v1\./);
    // OTP login's password step is a password path too.
    expect(
      (
        await api.post(
          "/api/login/",
          { username: user.username, password: STRONG_PASSWORD },
          from(newIp(), { "x-device-token": deviceToken(earlier) }),
        )
      ).status,
    ).toBe(200);
  });

  it("gives a device its own small budget: its own mistakes lock that device only", async () => {
    const user = await account();
    const phone = deviceToken(await login(user.username, STRONG_PASSWORD));
    const laptop = deviceToken(await login(user.username, STRONG_PASSWORD));
    const typos = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(user.username, `typo-${i}`, { "x-device-token": phone })),
    );
    expect(typos.filter((res) => res.status === 401).length).toBe(LIMITS.passwordDevice.limit);
    expect((await login(user.username, STRONG_PASSWORD, { "x-device-token": phone })).status).toBe(429);
    expect((await login(user.username, STRONG_PASSWORD, { "x-device-token": laptop })).status).toBe(200);
    // Nothing the device did counted against the account's pool for unknown clients.
    expect((await login(user.username, STRONG_PASSWORD)).status).toBe(200);
  });

  it("trusts no forged, altered or borrowed device token", async () => {
    const user = await account();
    const other = await account();
    const mine = deviceToken(await login(user.username, STRONG_PASSWORD));
    const theirs = deviceToken(await login(other.username, STRONG_PASSWORD));
    await attack(user.username);
    const [v, issued, id, mac] = mine.split(".");
    const forged = [
      theirs,
      `${v}.${issued}.${id}.${"A".repeat(43)}`,
      `${v}.${Number(issued) + 1}.${id}.${mac}`,
      `${v}.${issued}.${"B".repeat(22)}.${mac}`,
      "garbage",
    ];
    for (const token of forged) {
      expect([token, (await login(user.username, STRONG_PASSWORD, { "x-device-token": token })).status]).toEqual([
        token,
        429,
      ]);
    }
  });

  it("lifts the lockout when the owner completes a password reset", async () => {
    const user = await account();
    await attack(user.username);
    const before = smtp.delivered.length;
    expect((await api.post("/api/users/password-reset/", { email: user.email }, from(newIp()))).status).toBe(200);
    const { uid, token } = resetCredentials(
      await smtp.waitFor((m) => m.to === user.email && smtp.delivered.indexOf(m) >= before),
    );
    const reset = await api.post(
      "/api/users/password-reset/confirm/",
      { uid, token, password: "Fresh-Start-42x", password2: "Fresh-Start-42x" },
      from(newIp()),
    );
    expect(reset.status).toBe(200);
    expect((await login(user.username, "Fresh-Start-42x")).status).toBe(200);
  });

  it("lifts the lockout when the owner changes the password", async () => {
    const user = await account();
    const pair = (await login(user.username, STRONG_PASSWORD)).body;
    await attack(user.username);
    const changed = await api.post(
      "/api/users/change-password/",
      { old_password: STRONG_PASSWORD, password: "Fresh-Start-42y", password2: "Fresh-Start-42y" },
      { token: pair.access, ...from(newIp()) },
    );
    expect(changed.status).toBe(200);
    expect((await login(user.username, "Fresh-Start-42y")).status).toBe(200);
  });
});
