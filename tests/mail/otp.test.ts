import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { client } from "../helpers/http.js";
import { capturedLogger } from "../helpers/logs.js";
import { otpCode, startSmtp, type TestSmtp } from "../helpers/smtp.js";
import { decodePayload } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp.stop());

const logs = capturedLogger();
const app = useTestApp({
  env: () => ({
    SMTP_URL: smtp.url,
    EMAIL_FROM: "Auth <no-reply@auth.test>",
    OTP_TTL: "2",
    PRODUCT_NAME: "Acme Tasks",
  }),
  log: logs.log,
});
const api = client(() => app().url);

async function account(overrides: Record<string, unknown> = {}) {
  const body = newAccount(overrides);
  expect((await api.post("/api/users/register/", body)).status).toBe(201);
  return body;
}

/** Step one, then the code from the delivered mail. */
async function mailedCode(username: string, email: string): Promise<string> {
  const before = smtp.delivered.length;
  const res = await api.post("/api/login/", { username, password: STRONG_PASSWORD });
  expect([res.status, res.body]).toEqual([200, { message: "OTP sent to your registered email address." }]);
  const mail = await smtp.waitFor((m) => m.to === email && smtp.delivered.indexOf(m) >= before);
  return otpCode(mail);
}

const invalidOtp = { message: "Invalid or expired OTP." };

describe("OTP login over REST, with real SMTP", () => {
  it("mails a six-digit code that verifies once into a token pair", async () => {
    const user = await account();
    const code = await mailedCode(user.username, user.email);
    const mail = smtp.delivered.find((m) => m.to === user.email);
    expect(mail?.subject).toBe("Your OTP for Login");
    expect(mail?.raw.from?.value).toEqual([{ name: "Auth", address: "no-reply@auth.test" }]);
    expect(mail?.text).toContain(`Your OTP is ${code}. It is valid for 2 seconds.`);
    expect(mail?.text).toContain("Acme Tasks");
    expect(mail?.html).toContain(code);

    const verified = await api.post("/api/verify-otp/", { username: user.username, otp: code });
    expect(verified.status).toBe(200);
    expect(Object.keys(verified.body)).toEqual(["refresh", "access"]);
    expect(decodePayload(verified.body.access).token_type).toBe("access");
    expect((await api.get("/api/users/profile/", { token: verified.body.access })).body.username).toBe(user.username);

    const reused = await api.post("/api/verify-otp/", { username: user.username, otp: code });
    expect([reused.status, reused.body]).toEqual([400, invalidOtp]);
  });

  it("takes the code as a JSON number too", async () => {
    const user = await account();
    let code = await mailedCode(user.username, user.email);
    // A leading zero cannot survive as a number; ask until the code has none.
    while (code.startsWith("0")) code = await mailedCode(user.username, user.email);
    const res = await api.post("/api/verify-otp/", { username: user.username, otp: Number(code) });
    expect(res.status).toBe(200);
  });

  it("supersedes an older code with a newer login", async () => {
    const user = await account();
    const first = await mailedCode(user.username, user.email);
    let second = await mailedCode(user.username, user.email);
    while (second === first) second = await mailedCode(user.username, user.email);
    expect((await api.post("/api/verify-otp/", { username: user.username, otp: first })).body).toEqual(invalidOtp);
    expect((await api.post("/api/verify-otp/", { username: user.username, otp: second })).status).toBe(200);
  });

  it("expires codes after OTP_TTL", async () => {
    const user = await account();
    const code = await mailedCode(user.username, user.email);
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect((await api.post("/api/verify-otp/", { username: user.username, otp: code })).body).toEqual(invalidOtp);
  });

  it("kills a code after five wrong tries, even for the right code afterwards", async () => {
    const user = await account();
    const code = await mailedCode(user.username, user.email);
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i += 1) {
      expect((await api.post("/api/verify-otp/", { username: user.username, otp: wrong })).body).toEqual(invalidOtp);
    }
    expect((await api.post("/api/verify-otp/", { username: user.username, otp: code })).body).toEqual(invalidOtp);
  });

  it("answers the seed service's messages and mails nothing on failure", async () => {
    const user = await account();
    const before = smtp.delivered.length;
    const required = { message: "Username and password are required." };
    for (const body of [
      {},
      { username: user.username },
      { username: "", password: "x" },
      { username: null, password: "x" },
      { username: user.username, password: 12345678 },
    ]) {
      const res = await api.post("/api/login/", body);
      expect([JSON.stringify(body), res.status, res.body]).toEqual([JSON.stringify(body), 400, required]);
    }
    const invalid = { message: "Invalid credentials" };
    for (const body of [
      { username: user.username, password: "wrong-password" },
      { username: "nobody-here", password: STRONG_PASSWORD },
      { username: user.username, password: ` ${STRONG_PASSWORD} ` },
      { username: "nul\u0000name", password: STRONG_PASSWORD },
    ]) {
      const res = await api.post("/api/login/", body);
      expect([res.status, res.body]).toEqual([400, invalid]);
    }
    await app().db.db.updateTable("users").set({ is_active: false }).where("username", "=", user.username).execute();
    expect((await api.post("/api/login/", { username: user.username, password: STRONG_PASSWORD })).body).toEqual(
      invalid,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.delivered.length).toBe(before);

    const missing = { message: "Username and OTP are required." };
    for (const body of [{}, { username: user.username }, { otp: "123456" }, { username: user.username, otp: "" }]) {
      expect((await api.post("/api/verify-otp/", body)).body).toEqual(missing);
    }
    expect((await api.post("/api/verify-otp/", { username: "nobody-here", otp: "123456" })).body).toEqual(invalidOtp);
  });

  it("leaves an inactive user's code alone: it works again after reactivation", async () => {
    const user = await account();
    const code = await mailedCode(user.username, user.email);
    const users = app().db.db.updateTable("users").where("username", "=", user.username);
    await users.set({ is_active: false }).execute();
    expect((await api.post("/api/verify-otp/", { username: user.username, otp: code })).body).toEqual(invalidOtp);
    await users.set({ is_active: true }).execute();
    expect((await api.post("/api/verify-otp/", { username: user.username, otp: code })).status).toBe(200);
  });

  it("stores only an HMAC of the code, and never logs or returns it", async () => {
    const user = await account();
    const code = await mailedCode(user.username, user.email);
    const row = await app()
      .db.db.selectFrom("otp_codes")
      .innerJoin("users", "users.id", "otp_codes.user_id")
      .select(["otp_codes.code_hash"])
      .where("users.username", "=", user.username)
      .executeTakeFirstOrThrow();
    expect(row.code_hash).toHaveLength(32);
    expect(Buffer.from(row.code_hash).toString("utf8")).not.toContain(code);
    expect(Buffer.from(row.code_hash).toString("hex")).not.toContain(code);
    const outbox = await app().db.db.selectFrom("outbox_mails").select(["sealed_body", "status"]).execute();
    for (const mail of outbox) {
      if (mail.sealed_body) expect(Buffer.from(mail.sealed_body).toString("latin1")).not.toContain(code);
    }
    expect(logs.lines.join("\n")).not.toContain(code);
  });

  it("is served by tRPC with typed error codes", async () => {
    const user = await account();
    const caller = app().caller();
    await expect(caller.otp.request({ username: user.username, password: STRONG_PASSWORD })).resolves.toEqual({
      message: "OTP sent to your registered email address.",
    });
    const mail = await smtp.waitFor((m) => m.to === user.email);
    const pair = await caller.otp.verify({ username: user.username, otp: otpCode(mail) });
    expect(pair.access).toBeTruthy();
    await expect(caller.otp.verify({ username: user.username, otp: otpCode(mail) })).rejects.toMatchObject({
      cause: { code: "otp_invalid" },
    });
    await expect(caller.otp.request({ username: user.username, password: "nope" })).rejects.toMatchObject({
      cause: { code: "invalid_credentials" },
    });
  });
});
