import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { client, rawRequest } from "../helpers/http.js";
import { resetCredentials, startSmtp, type TestSmtp } from "../helpers/smtp.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp.stop());

const RESET_URL = "https://app.example.com/reset-password?lang=en";
const app = useTestApp({
  env: () => ({ SMTP_URL: smtp.url, PASSWORD_RESET_URL: RESET_URL, PASSWORD_RESET_TIMEOUT: "3" }),
});
const api = client(() => app().url);
const REQUEST = "/api/users/password-reset/";
const CONFIRM = "/api/users/password-reset/confirm/";
const SENT = { message: "If an account with that email exists, a password reset email has been sent." };
const BAD_TOKEN = { token: ["Invalid or expired token."] };
const NEW_PASSWORD = "Brand-New-Secret-7";

async function account(overrides: Record<string, unknown> = {}) {
  const body = newAccount(overrides);
  const res = await api.post("/api/users/register/", body);
  expect(res.status).toBe(201);
  return { ...body, id: res.body.id as number };
}

async function resetMailFor(email: string, requestedAs = email) {
  const before = smtp.delivered.length;
  const res = await api.post(REQUEST, { email: requestedAs });
  expect([res.status, res.body]).toEqual([200, SENT]);
  const mail = await smtp.waitFor(
    (m) => m.to === email && m.subject === "Password reset" && smtp.delivered.indexOf(m) >= before,
  );
  return { mail, ...resetCredentials(mail) };
}

describe("password reset over REST, with real SMTP", () => {
  it("mails uid and token lines and a link built from PASSWORD_RESET_URL, then resets once", async () => {
    const user = await account();
    const { mail, uid, token } = await resetMailFor(user.email, `  ${user.email.toUpperCase()}  `);
    expect(uid).toBe(Buffer.from(String(user.id)).toString("base64url"));
    expect(token.length).toBeGreaterThanOrEqual(22);
    const link = new URL(RESET_URL);
    link.searchParams.set("uid", uid);
    link.searchParams.set("token", token);
    expect(mail.text).toContain(link.toString());
    expect(mail.text).toContain("The token is valid for 3 seconds and can be used once.");
    expect(mail.html).toContain("Choose a new password");

    const session = await api.post("/api/token/", { username: user.username, password: STRONG_PASSWORD });
    const res = await api.post(CONFIRM, { uid, token, password: NEW_PASSWORD, password2: NEW_PASSWORD });
    expect([res.status, res.body]).toEqual([200, { message: "Password has been reset." }]);
    expect((await api.post("/api/token/", { username: user.username, password: NEW_PASSWORD })).status).toBe(200);
    expect((await api.post("/api/token/", { username: user.username, password: STRONG_PASSWORD })).status).toBe(401);
    // Every session of the old password is over.
    expect((await api.post("/api/token/refresh/", { refresh: session.body.refresh })).status).toBe(401);
    const notice = await smtp.waitFor((m) => m.to === user.email && m.subject === "Your password was changed");
    expect(notice.text).toContain(user.username);

    const again = await api.post(CONFIRM, {
      uid,
      token,
      password: "Yet-Another-Secret-8",
      password2: "Yet-Another-Secret-8",
    });
    expect([again.status, again.body]).toEqual([400, BAD_TOKEN]);
  });

  it("builds the link from configuration, never from the request's Host", async () => {
    const user = await account();
    const before = smtp.delivered.length;
    const res = await rawRequest(
      app().url,
      "POST",
      REQUEST,
      {
        host: "evil.example",
        "x-forwarded-host": "evil.example",
        "content-type": "application/json",
      },
      JSON.stringify({ email: user.email }),
    );
    expect(res.status).toBe(200);
    const mail = await smtp.waitFor((m) => m.to === user.email && smtp.delivered.indexOf(m) >= before);
    expect(mail.text).not.toContain("evil.example");
    expect(mail.text).toContain("https://app.example.com/reset-password?lang=en&uid=");
  });

  it("answers the same for unknown emails and inactive accounts, and mails only active ones", async () => {
    const inactive = await account();
    await app().db.db.updateTable("users").set({ is_active: false }).where("id", "=", inactive.id).execute();
    const before = smtp.delivered.length;
    for (const email of ["nobody@example.com", inactive.email]) {
      const res = await api.post(REQUEST, { email });
      expect([res.status, res.body]).toEqual([200, SENT]);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.delivered.length).toBe(before);
    expect((await api.post(REQUEST, {})).body).toEqual({ email: ["This field is required."] });
    expect((await api.post(REQUEST, { email: "not-an-email" })).body).toEqual({
      email: ["Enter a valid email address."],
    });
  });

  it("invalidates an older token when a newer one is requested", async () => {
    const user = await account();
    const first = await resetMailFor(user.email);
    const second = await resetMailFor(user.email);
    const old = await api.post(CONFIRM, {
      uid: first.uid,
      token: first.token,
      password: NEW_PASSWORD,
      password2: NEW_PASSWORD,
    });
    expect(old.body).toEqual(BAD_TOKEN);
    const current = await api.post(CONFIRM, {
      uid: second.uid,
      token: second.token,
      password: NEW_PASSWORD,
      password2: NEW_PASSWORD,
    });
    expect(current.status).toBe(200);
  });

  it("refuses another user's token, a bad uid and an expired token; checks the token before the password", async () => {
    const alice = await account();
    const bob = await account();
    const aliceReset = await resetMailFor(alice.email);
    const bobUid = Buffer.from(String(bob.id)).toString("base64url");
    const body = (extra: object) => ({ password: NEW_PASSWORD, password2: NEW_PASSWORD, ...extra });
    expect((await api.post(CONFIRM, body({ uid: bobUid, token: aliceReset.token }))).body).toEqual(BAD_TOKEN);
    for (const uid of ["not-base64!", "YWJj", "", "MA"]) {
      const res = await api.post(CONFIRM, body({ uid, token: aliceReset.token }));
      expect(res.status).toBe(400);
    }
    expect((await api.post(CONFIRM, body({ uid: aliceReset.uid, token: `${aliceReset.token}x` }))).body).toEqual(
      BAD_TOKEN,
    );
    // A bad token wins over a mismatch; with a good token, the mismatch and then the policy are reported.
    expect((await api.post(CONFIRM, { uid: bobUid, token: "nope", password: "a", password2: "b" })).body).toEqual(
      BAD_TOKEN,
    );
    expect(
      (
        await api.post(CONFIRM, {
          uid: aliceReset.uid,
          token: aliceReset.token,
          password: NEW_PASSWORD,
          password2: "other",
        })
      ).body,
    ).toEqual({
      password: ["Password fields didn't match."],
    });
    expect(
      (await api.post(CONFIRM, { uid: aliceReset.uid, token: aliceReset.token, password: "ada", password2: "ada" }))
        .body,
    ).toEqual({
      password: [
        "The password is too similar to the first name.",
        "This password is too short. It must contain at least 8 characters.",
      ],
    });
    expect((await api.post(CONFIRM, {})).body).toEqual({
      uid: ["This field is required."],
      token: ["This field is required."],
      password: ["This field is required."],
      password2: ["This field is required."],
    });

    await new Promise((resolve) => setTimeout(resolve, 3_200));
    const expired = await api.post(CONFIRM, body({ uid: aliceReset.uid, token: aliceReset.token }));
    expect(expired.body).toEqual(BAD_TOKEN);
  });

  it("stores only a hash of the token, and one use wins when two race", async () => {
    const user = await account();
    const { uid, token } = await resetMailFor(user.email);
    const rows = await app()
      .db.db.selectFrom("password_reset_tokens")
      .select("token_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]?.token_hash ?? []).toString("latin1")).not.toContain(token);
    const attempts = await Promise.all(
      [1, 2, 3].map(() => api.post(CONFIRM, { uid, token, password: NEW_PASSWORD, password2: NEW_PASSWORD })),
    );
    expect(attempts.map((res) => res.status).sort()).toEqual([200, 400, 400]);
  });

  it("mails a notice when the password is changed while signed in", async () => {
    const user = await account();
    const pair = await api.post("/api/token/", { username: user.username, password: STRONG_PASSWORD });
    const res = await api.post(
      "/api/users/change-password/",
      { old_password: STRONG_PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD },
      { token: pair.body.access },
    );
    expect(res.status).toBe(200);
    const notice = await smtp.waitFor((m) => m.to === user.email && m.subject === "Your password was changed");
    expect(notice.text).toMatch(/every session was signed out/);
  });
});
