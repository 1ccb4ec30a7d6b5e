import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { describe, expect, it } from "vitest";
import { strongAuthRoutes } from "../../server/http/rest/strong-auth-routes.js";
import { useTestApp } from "../helpers/app.js";
import { client } from "../helpers/http.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { signUp } from "../helpers/users.js";

const ORIGIN = "http://localhost:5173";
const app = useTestApp({ env: { WEBAUTHN_ORIGINS: ORIGIN } });
const api = client(() => app().url);
const totp = (secret: string) =>
  generateHOTP(decodeBase32IgnorePadding(secret), BigInt(Math.floor(Date.now() / 30_000)), 6);

describe("strong authentication over REST", () => {
  it("asks for a token on every protected path, with simplejwt's 401", async () => {
    const protectedRoutes = strongAuthRoutes.filter((route) => route.auth);
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(11);
    for (const route of protectedRoutes) {
      const path = route.path.replace(":id", "1");
      const res = await api.request(route.method, path, route.method === "GET" ? {} : { body: {} });
      expect([route.method, route.path, res.status, res.body]).toEqual([
        route.method,
        route.path,
        401,
        { detail: "Authentication credentials were not provided." },
      ]);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    }
  });

  it("enrols TOTP, answers coded errors, and disables it with a recovery code", async () => {
    const { tokens } = await signUp(app());
    const token = tokens.access;
    const setup = await api.post("/api/mfa/totp/setup/", undefined, { token });
    expect(setup.status).toBe(200);
    expect(Object.keys(setup.body)).toEqual(["secret", "otpauth_uri", "qr_svg"]);
    const wrong = await api.post("/api/mfa/totp/confirm/", { code: "000000" }, { token });
    expect([wrong.status, wrong.body]).toEqual([400, { detail: "Invalid or expired code.", code: "mfa_code_invalid" }]);
    expect((await api.post("/api/mfa/totp/confirm/", {}, { token })).body).toEqual({
      code: ["This field is required."],
    });
    // DRF's leniency: a JSON number in a text field is its text (a code with a leading zero needs quotes).
    const current = totp(setup.body.secret);
    const body = current.startsWith("0") ? { code: current } : { code: Number(current) };
    const confirmed = await api.post("/api/mfa/totp/confirm/", body, { token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recovery_codes).toHaveLength(10);
    const again = await api.post("/api/mfa/totp/setup/", {}, { token });
    expect([again.status, again.body]).toEqual([
      400,
      { detail: "Two-factor authentication is already enabled; disable it first.", code: "totp_already_enabled" },
    ]);
    expect((await api.get("/api/mfa/", { token })).body).toEqual({
      totp: true,
      recovery_codes_remaining: 10,
      passkeys: 0,
    });
    const regenerated = await api.post(
      "/api/mfa/recovery-codes/",
      { code: confirmed.body.recovery_codes[0] },
      { token },
    );
    expect(regenerated.body.recovery_codes).toHaveLength(10);
    // Wrong codes are counted among the refused authentications.
    expect((await api.get("/metrics")).text).toMatch(/auth_failures_total\{reason="mfa_code_invalid"\} 1\n/);
    const disabled = await api.post("/api/mfa/totp/disable/", { code: regenerated.body.recovery_codes[9] }, { token });
    expect([disabled.status, disabled.body]).toEqual([200, {}]);
    const off = await api.post("/api/mfa/totp/disable/", { code: "123456" }, { token });
    expect([off.status, off.body.code]).toEqual([400, "totp_not_enabled"]);
  });

  it("registers, renames, lists and removes passkeys, and signs in with one", async () => {
    const { tokens, user } = await signUp(app());
    const token = tokens.access;
    const authenticator = new SoftAuthenticator(ORIGIN);
    const options = await api.post("/api/passkeys/register/options/", {}, { token });
    expect(options.status).toBe(200);
    const created = await api.post(
      "/api/passkeys/",
      { name: "Key", credential: authenticator.create(options.body) },
      { token },
    );
    expect(created.status).toBe(201);
    const renamed = await api.patch(`/api/passkeys/${created.body.id}/`, { name: "Desk key" }, { token });
    expect([renamed.status, renamed.body.name]).toEqual([200, "Desk key"]);
    expect((await api.get("/api/passkeys/", { token })).body).toEqual([renamed.body]);
    expect((await api.patch("/api/passkeys/abc/", { name: "x" }, { token })).status).toBe(404);

    const loginOptions = await api.post("/api/token/passkey/options/");
    expect(loginOptions.status).toBe(200);
    const pair = await api.post("/api/token/passkey/", { credential: authenticator.get(loginOptions.body) });
    expect(pair.status).toBe(200);
    expect(Object.keys(pair.body)).toEqual(["refresh", "access"]);
    expect((await api.get("/api/users/profile/", { token: pair.body.access })).body.id).toBe(user.id);
    const replay = await api.post("/api/token/passkey/", { credential: authenticator.get(loginOptions.body) });
    expect([replay.status, replay.body]).toEqual([401, { detail: "Passkey sign-in failed." }]);
    expect(replay.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    const garbage = await api.post("/api/token/passkey/", { credential: { id: "x" } });
    expect(garbage.status).toBe(400);

    expect((await api.delete(`/api/passkeys/${created.body.id}/`, { token })).status).toBe(204);
    expect((await api.get("/api/passkeys/", { token })).body).toEqual([]);
  });

  it("describes every new path in the OpenAPI document", async () => {
    const document = (await api.get("/api/openapi.json")).body;
    for (const route of strongAuthRoutes) {
      const path = route.path.replace(/:([a-z]+)/g, "{$1}");
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      expect([path, route.method, operation?.operationId]).toEqual([path, route.method, route.procedure]);
      for (const status of Object.keys(route.moreErrors ?? {})) expect(operation.responses[status]).toBeDefined();
    }
    expect(document.paths["/api/token/"].post.responses["403"].description).toContain("email_not_verified");
  });
});
