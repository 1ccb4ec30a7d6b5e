import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { describe, expect, it } from "vitest";
import { createClient, isApiError } from "../../client-sdk/src/index.js";
import { useTestApp } from "../helpers/app.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const ORIGIN = "http://localhost:5173";
const app = useTestApp({ env: { WEBAUTHN_ORIGINS: ORIGIN } });

/** The SDK over HTTP (tRPC), signed in as a new account. */
async function signedIn() {
  const client = createClient({ url: app().url });
  const account = newAccount();
  await client.auth.register(account as never);
  await client.session.login({ username: account.username, password: STRONG_PASSWORD });
  return client;
}

describe("strong authentication through the SDK (tRPC over HTTP)", () => {
  it("enrols TOTP, reads the status, and gets coded errors", async () => {
    const client = await signedIn();
    const setup = await client.totp.begin();
    const error = await client.totp.confirm({ code: "000000" }).catch((e: unknown) => e);
    expect(isApiError(error) && [error.code, error.status]).toEqual(["mfa_code_invalid", 400]);
    const code = generateHOTP(decodeBase32IgnorePadding(setup.secret), BigInt(Math.floor(Date.now() / 30_000)), 6);
    expect((await client.totp.confirm({ code })).recovery_codes).toHaveLength(10);
    expect(await client.mfa.status()).toEqual({ totp: true, recovery_codes_remaining: 10, passkeys: 0 });
  });

  it("registers a passkey and signs in with it", async () => {
    const client = await signedIn();
    const me = await client.user.me();
    const authenticator = new SoftAuthenticator(ORIGIN);
    const options = await client.passkey.registrationOptions();
    await client.passkey.register({ name: "SDK", credential: authenticator.create(options) });
    expect((await client.passkey.list()).map((passkey) => passkey.name)).toEqual(["SDK"]);

    const anonymous = createClient({ url: app().url });
    await anonymous.session.loginWithPasskey({
      credential: authenticator.get(await anonymous.passkey.loginOptions()),
    });
    expect((await anonymous.user.me()).id).toBe(me.id);
    const status = await anonymous.email.status();
    expect(status.verified).toBe(false);
  });
});
