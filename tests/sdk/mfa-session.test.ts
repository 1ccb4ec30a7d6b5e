import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createClient, isApiError, isMfaRequired } from "../../client-sdk/src/index.js";
import { useTestApp } from "../helpers/app.js";
import { currentStep, totpCode, withTotp } from "../helpers/mfa.js";
import { decodePayload } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const app = useTestApp();

const failure = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (error: unknown) => error,
  );

describe("the SDK's session with a second factor (tRPC over HTTP)", () => {
  it("login rejects with a typed mfa_required carrying the ticket; completeMfa stores the session", async () => {
    const { account, user, secret, confirmedStep } = await withTotp(app());
    const client = createClient({ url: app().url });
    const error = await failure(client.session.login({ username: account.username, password: STRONG_PASSWORD }));
    expect(isMfaRequired(error)).toBe(true);
    if (!isMfaRequired(error)) return;
    expect([error.code, error.status, error.mfa.methods]).toEqual(["mfa_required", 401, ["totp", "recovery_code"]]);
    expect(await client.session.current()).toBeNull();

    const wrong = await failure(
      client.session.completeMfa({ mfa_token: error.mfa.mfa_token, method: "totp", code: "000000" }),
    );
    expect(isApiError(wrong, "mfa_code_invalid")).toBe(true);
    expect(await client.session.current()).toBeNull();

    const session = await client.session.completeMfa({
      mfa_token: error.mfa.mfa_token,
      method: "totp",
      code: totpCode(secret, Math.max(confirmedStep + 1, currentStep())),
    });
    expect(session.userId).toBe(user.id);
    expect(decodePayload(session.access).amr).toEqual(["pwd", "otp", "mfa"]);
    expect((await client.user.me()).id).toBe(user.id);
  });

  it("reauthenticate replaces the access token after reauthentication_required, and keeps the refresh token", async () => {
    const client = createClient({ url: app().url });
    const account = newAccount();
    await client.auth.register(account as never);
    const first = await client.session.login({ username: account.username, password: STRONG_PASSWORD });
    const sid = (decodePayload(first.access).jti as string).slice(0, 24);
    await app()
      .db.db.updateTable("refresh_families")
      .set({ auth_time: sql`auth_time - interval '1 hour'` })
      .where("id", "=", sid)
      .execute();
    const aged = await client.session.refresh();
    const refused = await failure(client.totp.begin());
    expect(isApiError(refused, "reauthentication_required") && refused.status).toBe(403);

    const session = await client.session.reauthenticate({ password: STRONG_PASSWORD });
    expect(session.refresh).toBe(aged?.refresh);
    expect(session.access).not.toBe(aged?.access);
    expect(decodePayload(session.access).auth_time).toBeGreaterThan(
      decodePayload(aged?.access ?? "").auth_time as number,
    );
    expect(Object.keys(await client.totp.begin())).toEqual(["secret", "otpauth_uri", "qr_svg"]);
  });

  it("reauthenticate without a session is refused, and a wrong password is a field error", async () => {
    const client = createClient({ url: app().url });
    const none = await failure(client.session.reauthenticate({ password: "x" }));
    expect(isApiError(none, "not_authenticated")).toBe(true);
    const account = newAccount();
    await client.auth.register(account as never);
    await client.session.login({ username: account.username, password: STRONG_PASSWORD });
    const wrong = await failure(client.session.reauthenticate({ password: "not-it" }));
    expect(isApiError(wrong, "validation_failed") && wrong.fieldErrors).toEqual({ password: ["Wrong password."] });
  });
});
