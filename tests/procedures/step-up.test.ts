import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { ageSession, currentStep, totpCode, withTotp } from "../helpers/mfa.js";
import { accessClaims, decodePayload, mint } from "../helpers/tokens.js";
import { STRONG_PASSWORD, signUp } from "../helpers/users.js";

const app = useTestApp();
const NEW_PASSWORD = "Another-Horse-7-Staple";
const STALE = 601;

describe("step-up (STEP_UP_MAX_AGE, 600 s by default)", () => {
  it("the factors need a recent authentication: each change is refused after 600 s, allowed within", async () => {
    const { tokens } = await signUp(app());
    const stale = await ageSession(app(), tokens.refresh, STALE);
    const caller = app().caller(stale.authorization);
    for (const [name, call] of [
      ["totp.begin", () => caller.totp.begin()],
      ["totp.disable", () => caller.totp.disable({ code: "123456" })],
      ["mfa.regenerateRecoveryCodes", () => caller.mfa.regenerateRecoveryCodes({ code: "123456" })],
      ["passkey.registrationOptions", () => caller.passkey.registrationOptions()],
      ["passkey.remove", () => caller.passkey.remove({ id: 1 })],
    ] as const) {
      const error = await appError(call());
      expect([name, error.code, error.status]).toEqual([name, "reauthentication_required", 403]);
    }
    const recent = await ageSession(app(), stale.refresh, -STALE + 590);
    await app().caller(recent.authorization).totp.begin();
  });

  it("auth.reauthenticate with the password makes the session recent again, and refreshes keep it", async () => {
    const { tokens } = await signUp(app());
    const stale = await ageSession(app(), tokens.refresh, 3600);
    const caller = app().caller(stale.authorization);
    const wrong = await appError(caller.auth.reauthenticate({ password: "not-it" }));
    expect(wrong.fields).toEqual({ password: ["Wrong password."] });
    const { access } = await caller.auth.reauthenticate({ password: STRONG_PASSWORD });
    const claims = decodePayload(access);
    expect(claims.amr).toEqual(["pwd"]);
    expect(claims.auth_time).toBeGreaterThanOrEqual(decodePayload(stale.access).iat as number);
    await app().caller(`Bearer ${access}`).totp.begin();
    // The session itself is recent now: a refresh (the refresh token is unchanged) carries it.
    const refreshed = decodePayload((await app().caller().auth.refresh({ refresh: stale.refresh })).access);
    expect(refreshed.auth_time).toBe(claims.auth_time);
  });

  it("with TOTP on, reauthentication needs the code too, and gives amr mfa", async () => {
    const { tokens, secret, confirmedStep } = await withTotp(app());
    const stale = await ageSession(app(), tokens.refresh, 3600);
    const caller = app().caller(stale.authorization);
    const noCode = await appError(caller.auth.reauthenticate({ password: STRONG_PASSWORD }));
    expect(noCode.fields).toEqual({ code: ["This field is required."] });
    const badCode = await appError(caller.auth.reauthenticate({ password: STRONG_PASSWORD, code: "000000" }));
    expect(badCode.code).toBe("mfa_code_invalid");
    const { access } = await caller.auth.reauthenticate({
      password: STRONG_PASSWORD,
      code: totpCode(secret, Math.max(confirmedStep + 1, currentStep())),
    });
    expect(decodePayload(access).amr).toEqual(["pwd", "otp", "mfa"]);
  });

  it("changing the password: an account with TOTP needs a recent login; one without keeps Django's rule", async () => {
    const plain = await signUp(app());
    const plainStale = await ageSession(app(), plain.tokens.refresh, 3600);
    await app()
      .caller(plainStale.authorization)
      .user.changePassword({ old_password: STRONG_PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD });

    const strong = await withTotp(app());
    const strongStale = await ageSession(app(), strong.tokens.refresh, 3600);
    const change = { old_password: STRONG_PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD };
    const refused = await appError(app().caller(strongStale.authorization).user.changePassword(change));
    expect(refused.code).toBe("reauthentication_required");
    const email = await appError(
      app()
        .caller(strongStale.authorization)
        .email.change({ email: "new-address@example.com", password: STRONG_PASSWORD }),
    );
    expect(email.code).toBe("reauthentication_required");
    // A login of moments ago is recent: allowed.
    await strong.caller.user.changePassword(change);
  });

  it("a token without auth_time (one minted like Django's) is never recent", async () => {
    const { user } = await signUp(app());
    const token = await mint(accessClaims(user.id));
    const error = await appError(app().caller(`Bearer ${token}`).totp.begin());
    expect(error.code).toBe("reauthentication_required");
  });
});
