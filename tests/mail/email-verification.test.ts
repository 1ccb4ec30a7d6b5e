import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, useTestApp } from "../helpers/app.js";
import { client } from "../helpers/http.js";
import { type Delivered, startSmtp, type TestSmtp } from "../helpers/smtp.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp.stop());

const VERIFY_URL = "https://app.example.com/verify-email?lang=en";
const app = useTestApp({
  env: () => ({ SMTP_URL: smtp.url, REQUIRE_EMAIL_VERIFICATION: "true", EMAIL_VERIFICATION_URL: VERIFY_URL }),
});
const api = client(() => app().url);
const NOT_VERIFIED = { detail: "Email address is not verified.", code: "email_not_verified" };
const RESENT = {
  message: "If that address belongs to an account waiting for verification, a new link has been sent.",
};
const BAD_TOKEN = { token: ["Invalid or expired token."] };
const SUBJECT = "Verify your email address";

const tokenOf = (mail: Delivered) => {
  const token = /^token: (\S+)$/m.exec(mail.text)?.[1];
  if (!token) throw new Error(`no token line in: ${mail.text}`);
  return token;
};

/** The next verification mail to `to`, delivered after `since` mails. */
const verificationMail = (to: string, since: number) =>
  smtp.waitFor((m) => m.to === to && m.subject === SUBJECT && smtp.delivered.indexOf(m) >= since);

async function register(overrides: Record<string, unknown> = {}) {
  const body = newAccount(overrides);
  const before = smtp.delivered.length;
  const res = await api.post("/api/users/register/", body);
  expect(res.status).toBe(201);
  const mail = await verificationMail(body.email, before);
  return { ...body, id: res.body.id as number, mail, token: tokenOf(mail) };
}

const login = (username: string, password = STRONG_PASSWORD) => api.post("/api/token/", { username, password });

describe("with REQUIRE_EMAIL_VERIFICATION on", () => {
  it("mails a link at sign-up, refuses login until it is used (after the password only), then logs in", async () => {
    const user = await register();
    expect(user.mail.text).toContain(`Verify it here: ${VERIFY_URL}&token=${user.token}`);
    expect(user.mail.text).toContain(user.username);
    expect(user.token.length).toBeGreaterThanOrEqual(43);

    const refused = await login(user.username);
    expect([refused.status, refused.body]).toEqual([403, NOT_VERIFIED]);
    // A wrong password still gets the one answer for every wrong login: nothing about verification.
    const wrong = await login(user.username, "Not-The-Password-1");
    expect([wrong.status, wrong.body]).toEqual([401, { detail: "No active account found with the given credentials" }]);
    // The seed's email-code login refuses too, and mails no code.
    const before = smtp.delivered.length;
    const otp = await api.post("/api/login/", { username: user.username, password: STRONG_PASSWORD });
    expect([otp.status, otp.body]).toEqual([403, NOT_VERIFIED]);

    const verified = await api.post("/api/users/verify-email/", { token: user.token });
    expect([verified.status, verified.body]).toEqual([200, { message: "Email address verified." }]);
    expect((await api.post("/api/users/verify-email/", { token: user.token })).body).toEqual(BAD_TOKEN);
    const pair = await login(user.username);
    expect(pair.status).toBe(200);
    const status = await api.get("/api/users/email/", { token: pair.body.access });
    expect(status.body).toEqual({ email: user.email, verified: true, pending_email: null });
    expect(smtp.delivered.slice(before).filter((m) => m.to === user.email && m.subject !== SUBJECT)).toEqual([]);
  });

  it("resends for an unverified account only, answers the same for any address, and rations per address", async () => {
    const user = await register();
    const before = smtp.delivered.length;
    for (const email of ["nobody@example.com", user.email.toUpperCase()]) {
      const res = await api.post("/api/users/verify-email/resend/", { email });
      expect([res.status, res.body]).toEqual([200, RESENT]);
    }
    const again = await verificationMail(user.email, before);
    // The newer link replaced the first.
    expect((await api.post("/api/users/verify-email/", { token: user.token })).body).toEqual(BAD_TOKEN);
    expect((await api.post("/api/users/verify-email/", { token: tokenOf(again) })).status).toBe(200);
    // Verified now: a resend mails nothing.
    await api.post("/api/users/verify-email/resend/", { email: user.email });
    const third = await api.post("/api/users/verify-email/resend/", { email: user.email });
    expect(third.status).toBe(200);
    const fourth = await api.post("/api/users/verify-email/resend/", { email: user.email });
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get("retry-after"))).toBeGreaterThan(0);
    // An unknown address is rationed the same way, so a 429 tells nothing.
    for (let i = 0; i < 2; i += 1) await api.post("/api/users/verify-email/resend/", { email: "nobody@example.com" });
    expect((await api.post("/api/users/verify-email/resend/", { email: "nobody@example.com" })).status).toBe(429);
    expect(smtp.delivered.slice(before).filter((m) => m.subject === SUBJECT)).toHaveLength(1);
  });

  it("refuses an expired link and garbage", async () => {
    const user = await register();
    await app()
      .db.db.updateTable("email_tokens")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("user_id", "=", user.id)
      .execute();
    expect((await api.post("/api/users/verify-email/", { token: user.token })).body).toEqual(BAD_TOKEN);
    expect((await api.post("/api/users/verify-email/", { token: "x".repeat(300) })).status).toBe(400);
    expect((await api.post("/api/users/verify-email/", {})).body).toEqual({ token: ["This field is required."] });
    expect((await login(user.username)).status).toBe(403);
  });

  it("of dozens of parallel uses of one link, exactly one verifies", async () => {
    const user = await register();
    const results = await Promise.all(
      Array.from({ length: 24 }, () => api.post("/api/users/verify-email/", { token: user.token })),
    );
    expect(results.filter((res) => res.status === 200)).toHaveLength(1);
    expect(results.filter((res) => res.status === 400)).toHaveLength(23);
    const events = await app()
      .db.db.selectFrom("auth_events")
      .select("event")
      .where("user_id", "=", user.id)
      .where("event", "=", "email_verified")
      .execute();
    expect(events).toHaveLength(1);
  });
});

describe("changing the email address", () => {
  async function verifiedUser() {
    const user = await register();
    await api.post("/api/users/verify-email/", { token: user.token });
    const pair = await login(user.username);
    return { ...user, access: pair.body.access as string };
  }

  it("verifies the new address before it takes effect, then tells the old one", async () => {
    const user = await verifiedUser();
    const newEmail = `new.${user.email}`;
    const before = smtp.delivered.length;
    const res = await api.post(
      "/api/users/change-email/",
      { email: newEmail, password: STRONG_PASSWORD },
      { token: user.access },
    );
    expect(res.status).toBe(200);
    const mail = await verificationMail(newEmail, before);
    expect(mail.text).toContain("It takes effect once verified.");
    expect((await api.get("/api/users/profile/", { token: user.access })).body.email).toBe(user.email);
    expect((await api.get("/api/users/email/", { token: user.access })).body).toEqual({
      email: user.email,
      verified: true,
      pending_email: newEmail,
    });

    const done = await api.post("/api/users/verify-email/", { token: tokenOf(mail) });
    expect([done.status, done.body]).toEqual([200, { message: "Email address changed." }]);
    expect((await api.get("/api/users/profile/", { token: user.access })).body.email).toBe(newEmail);
    expect((await api.get("/api/users/email/", { token: user.access })).body).toEqual({
      email: newEmail,
      verified: true,
      pending_email: null,
    });
    const notice = await smtp.waitFor((m) => m.to === user.email && m.subject === "Your email address was changed");
    expect(notice.text).toContain(`n•••@${newEmail.split("@")[1]}`);
    expect(notice.text).not.toContain(newEmail);
    // Password resets now go to the new address.
    const reset = smtp.delivered.length;
    await api.post("/api/users/password-reset/", { email: newEmail });
    await smtp.waitFor(
      (m) => m.to === newEmail && m.subject === "Password reset" && smtp.delivered.indexOf(m) >= reset,
    );
  });

  it("checks the password (guarded), the address, and that nobody else has it", async () => {
    const user = await verifiedUser();
    const other = await register();
    const change = (body: Record<string, unknown>) =>
      api.post("/api/users/change-email/", body, { token: user.access });
    expect((await change({ email: "x@example.com", password: "wrong-password-1" })).body).toEqual({
      password: ["Password is not correct."],
    });
    expect((await change({ email: user.email.toUpperCase(), password: STRONG_PASSWORD })).body).toEqual({
      email: ["This is already your email address."],
    });
    expect((await change({ email: other.email, password: STRONG_PASSWORD })).body).toEqual({
      email: ["A user with that email already exists."],
    });
    expect((await change({ email: "not-an-email", password: STRONG_PASSWORD })).body).toEqual({
      email: ["Enter a valid email address."],
    });
    expect((await api.post("/api/users/change-email/", { email: "a@example.com", password: "x" })).status).toBe(401);
  });

  it("refuses the link when another account took the address meanwhile", async () => {
    const user = await verifiedUser();
    const contested = `contested.${user.email}`;
    const before = smtp.delivered.length;
    await api.post("/api/users/change-email/", { email: contested, password: STRONG_PASSWORD }, { token: user.access });
    const mail = await verificationMail(contested, before);
    await register({ email: contested });
    const res = await api.post("/api/users/verify-email/", { token: tokenOf(mail) });
    expect([res.status, res.body]).toEqual([400, { email: ["A user with that email already exists."] }]);
    expect((await api.get("/api/users/profile/", { token: user.access })).body.email).toBe(user.email);
  });
});

describe("with REQUIRE_EMAIL_VERIFICATION off (the default)", () => {
  it("keeps the Django contract: no mail at sign-up, login works; verifying stays possible", async () => {
    const off = await startTestApp({ SMTP_URL: smtp.url });
    try {
      const offApi = client(() => off.url);
      const body = newAccount();
      const before = smtp.delivered.length;
      expect((await offApi.post("/api/users/register/", body)).status).toBe(201);
      const pair = await offApi.post("/api/token/", { username: body.username, password: STRONG_PASSWORD });
      expect(pair.status).toBe(200);
      expect((await offApi.get("/api/users/email/", { token: pair.body.access })).body).toEqual({
        email: body.email,
        verified: false,
        pending_email: null,
      });
      await offApi.post("/api/users/verify-email/resend/", { email: body.email });
      const mail = await verificationMail(body.email, before);
      expect(smtp.delivered.slice(before).filter((m) => m.to === body.email)).toEqual([mail]);
      expect((await offApi.post("/api/users/verify-email/", { token: tokenOf(mail) })).status).toBe(200);
      expect((await offApi.get("/api/users/email/", { token: pair.body.access })).body.verified).toBe(true);
    } finally {
      await off.app.stop();
      await off.db.close();
    }
  });
});
