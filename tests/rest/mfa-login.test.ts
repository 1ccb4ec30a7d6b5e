import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { client } from "../helpers/http.js";
import { ageSession, currentStep, totpCode, withTotp } from "../helpers/mfa.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { decodePayload } from "../helpers/tokens.js";
import { STRONG_PASSWORD, signUp } from "../helpers/users.js";

const ORIGIN = "http://localhost:5173";
const app = useTestApp({ env: { WEBAUTHN_ORIGINS: ORIGIN } });
const api = client(() => app().url);

/** An account whose only second factor is a passkey held by `authenticator`. */
async function withPasskey() {
  const account = await signUp(app());
  const authenticator = new SoftAuthenticator(ORIGIN);
  const token = account.tokens.access;
  const options = await api.post("/api/passkeys/register/options/", {}, { token });
  const created = await api.post("/api/passkeys/", { credential: authenticator.create(options.body) }, { token });
  expect(created.status).toBe(201);
  return { ...account, authenticator };
}

describe("login with a second factor over REST", () => {
  it("/api/token/ answers 401 mfa_required with the ticket (never tokens); /api/token/mfa/ answers the pair", async () => {
    const { account, secret, confirmedStep } = await withTotp(app());
    const first = await api.post("/api/token/", { username: account.username, password: STRONG_PASSWORD });
    expect(first.status).toBe(401);
    expect(first.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(first.body).toEqual({
      detail: "A second factor is required.",
      code: "mfa_required",
      mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      methods: ["totp", "recovery_code"],
    });
    expect(first.body.access).toBeUndefined();
    const code = totpCode(secret, Math.max(confirmedStep + 1, currentStep()));
    const pair = await api.post("/api/token/mfa/", { mfa_token: first.body.mfa_token, method: "totp", code });
    expect([pair.status, Object.keys(pair.body)]).toEqual([200, ["refresh", "access"]]);
    expect(decodePayload(pair.body.access).amr).toEqual(["pwd", "otp", "mfa"]);
    const again = await api.post("/api/token/mfa/", { mfa_token: first.body.mfa_token, method: "totp", code });
    expect([again.status, again.body.code]).toEqual([401, "mfa_token_invalid"]);
  });

  it("/api/login/ (the email code) answers mfa_required too for an account with TOTP", async () => {
    const { account } = await withTotp(app());
    const res = await api.post("/api/login/", { username: account.username, password: STRONG_PASSWORD });
    expect([res.status, res.body.code, res.body.methods]).toEqual([401, "mfa_required", ["totp", "recovery_code"]]);
  });

  it("refuses bad bodies with 400, never 500", async () => {
    for (const body of [{}, { mfa_token: "x", method: "sms", code: "1" }, { mfa_token: "x", method: "passkey" }]) {
      const res = await api.post("/api/token/mfa/", body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
    }
  });

  it("a passkey as the second step: options list the account's passkey, the assertion gives the pair (amr hwk)", async () => {
    const { account, authenticator } = await withPasskey();
    const first = await api.post("/api/token/", { username: account.username, password: STRONG_PASSWORD });
    expect([first.status, first.body.methods]).toEqual([401, ["passkey"]]);
    const { mfa_token } = first.body;
    const options = await api.post("/api/token/mfa/passkey/options/", { mfa_token });
    expect(options.status).toBe(200);
    expect(options.body.allowCredentials.map((item: { id: string }) => item.id)).toEqual([authenticator.id]);
    // A sign-in's options do not serve the second step (the challenge is bound to its purpose and user).
    const loginOptions = await api.post("/api/token/passkey/options/");
    const wrongChallenge = await api.post("/api/token/mfa/", {
      mfa_token,
      method: "passkey",
      credential: authenticator.get(loginOptions.body),
    });
    expect([wrongChallenge.status, wrongChallenge.body.code]).toEqual([400, "passkey_invalid"]);
    const pair = await api.post("/api/token/mfa/", {
      mfa_token,
      method: "passkey",
      credential: authenticator.get(options.body),
    });
    expect(pair.status).toBe(200);
    expect(decodePayload(pair.body.access).amr).toEqual(["pwd", "hwk", "user", "mfa"]);
  });

  it("another account's passkey does not complete this account's second step", async () => {
    const victim = await withPasskey();
    const attacker = await withPasskey();
    const first = await api.post("/api/token/", { username: victim.account.username, password: STRONG_PASSWORD });
    const options = await api.post("/api/token/mfa/passkey/options/", { mfa_token: first.body.mfa_token });
    const res = await api.post("/api/token/mfa/", {
      mfa_token: first.body.mfa_token,
      method: "passkey",
      credential: attacker.authenticator.get(options.body),
    });
    expect([res.status, res.body.code]).toEqual([400, "passkey_invalid"]);
  });
});

describe("step-up over REST", () => {
  it("403 reauthentication_required when stale; /api/token/reauthenticate/ with a passkey makes it recent", async () => {
    const { tokens, authenticator } = await withPasskey();
    const stale = await ageSession(app(), tokens.refresh, 3600);
    const refused = await api.post("/api/mfa/totp/setup/", {}, { token: stale.access });
    expect([refused.status, refused.body]).toEqual([
      403,
      { detail: "Recent authentication required.", code: "reauthentication_required" },
    ]);
    const passwordOnly = await api.post(
      "/api/token/reauthenticate/",
      { password: STRONG_PASSWORD },
      { token: stale.access },
    );
    expect([passwordOnly.status, passwordOnly.body]).toEqual([
      400,
      { credential: ["This account reauthenticates with its passkey."] },
    ]);
    const options = await api.post("/api/token/reauthenticate/passkey/options/", {}, { token: stale.access });
    expect(options.status).toBe(200);
    const fresh = await api.post(
      "/api/token/reauthenticate/",
      { credential: authenticator.get(options.body) },
      { token: stale.access },
    );
    expect([fresh.status, Object.keys(fresh.body)]).toEqual([200, ["access"]]);
    expect(decodePayload(fresh.body.access).amr).toEqual(["hwk", "user", "mfa"]);
    expect((await api.post("/api/mfa/totp/setup/", {}, { token: fresh.body.access })).status).toBe(200);
  });

  it("Django's password change keeps working for an account that just logged in", async () => {
    const { tokens } = await signUp(app());
    const res = await api.post(
      "/api/users/change-password/",
      { old_password: STRONG_PASSWORD, password: "Another-Horse-7-Staple", password2: "Another-Horse-7-Staple" },
      { token: tokens.access },
    );
    expect([res.status, res.body]).toEqual([200, { message: "Password updated successfully." }]);
  });
});
