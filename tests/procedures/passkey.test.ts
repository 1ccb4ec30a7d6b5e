import { describe, expect, it } from "vitest";
import { startTestApp, useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { decodePayload } from "../helpers/tokens.js";
import { signUp } from "../helpers/users.js";

const ORIGIN = "http://localhost:5173";
const app = useTestApp({ env: { WEBAUTHN_ORIGINS: `${ORIGIN},https://app.localhost` } });

/** A signed-up user with one passkey registered through the procedures. */
async function withPasskey(authenticator = new SoftAuthenticator(ORIGIN)) {
  const account = await signUp(app());
  const caller = app().caller(account.authorization);
  const options = await caller.passkey.registrationOptions();
  const passkey = await caller.passkey.register({ name: "Laptop", credential: authenticator.create(options) });
  return { ...account, caller, authenticator, passkey };
}

async function signIn(authenticator: SoftAuthenticator, ceremony = {}) {
  const options = await app().caller().passkey.loginOptions();
  return app()
    .caller()
    .passkey.login({ credential: authenticator.get(options, ceremony) });
}

const events = (userId: number, event: string) =>
  app()
    .db.db.selectFrom("auth_events")
    .select(["event", "detail"])
    .where("user_id", "=", userId)
    .where("event", "=", event)
    .execute();

describe("passkey registration", () => {
  it("offers a discoverable credential with user verification, and stores the passkey", async () => {
    const { user, authorization } = await signUp(app(), { first_name: "Grace", last_name: "Hopper" });
    const caller = app().caller(authorization);
    const options = await caller.passkey.registrationOptions();
    expect(options.rp).toEqual({ name: "JWT Auth", id: "localhost" });
    expect(options.user.name).toBe(user.username);
    expect(options.user.displayName).toBe("Grace Hopper");
    expect(Buffer.from(options.user.id, "base64url")).toHaveLength(32);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(options.attestation).toBe("none");
    expect(options.pubKeyCredParams.map((param) => param.alg)).toEqual([-8, -7, -257]);

    const authenticator = new SoftAuthenticator(ORIGIN);
    const passkey = await caller.passkey.register({ name: "Phone", credential: authenticator.create(options) });
    expect(passkey).toMatchObject({ name: "Phone", device_type: "singleDevice", backed_up: false, last_used_at: null });
    expect(await caller.passkey.list()).toEqual([passkey]);
    expect(await caller.mfa.status()).toEqual({ totp: false, recovery_codes_remaining: 0, passkeys: 1 });
    const row = await app()
      .db.db.selectFrom("passkeys")
      .select(["credential_id", "user_handle", "counter"])
      .where("id", "=", passkey.id)
      .executeTakeFirstOrThrow();
    expect(row.credential_id).toBe(authenticator.id);
    expect(Buffer.from(row.user_handle).toString("base64url")).toBe(options.user.id);
    expect(await events(user.id, "passkey_registered")).toHaveLength(1);

    // A second registration excludes the first passkey and keeps the user's handle.
    const again = await caller.passkey.registrationOptions();
    expect(again.excludeCredentials?.map((credential) => credential.id)).toEqual([authenticator.id]);
    expect(again.user.id).toBe(options.user.id);
    const duplicate = await appError(caller.passkey.register({ credential: authenticator.create(again) }));
    expect([duplicate.code, duplicate.message]).toEqual([
      "passkey_invalid",
      "The passkey could not be registered: this passkey is registered already.",
    ]);
  });

  it("refuses another origin, no user verification, another RP ID and a used, foreign or login challenge", async () => {
    const { caller } = await withPasskey();
    const other = await signUp(app());
    const cases: Array<[string, (options: Awaited<ReturnType<typeof caller.passkey.registrationOptions>>) => unknown]> =
      [
        ["origin", (options) => new SoftAuthenticator(ORIGIN).create(options, { origin: "https://evil.example" })],
        ["user verification", (options) => new SoftAuthenticator(ORIGIN).create(options, { userVerified: false })],
        ["rp id", (options) => new SoftAuthenticator(ORIGIN).create(options, { rpId: "example.com" })],
        ["type", (options) => new SoftAuthenticator(ORIGIN).create(options, { type: "webauthn.get" })],
      ];
    for (const [what, make] of cases) {
      const options = await caller.passkey.registrationOptions();
      const error = await appError(caller.passkey.register({ credential: make(options) as never }));
      expect([what, error.code]).toEqual([what, "passkey_invalid"]);
    }
    // A failed attempt spends its challenge: the right response to it is refused afterwards.
    const spent = await caller.passkey.registrationOptions();
    await appError(
      caller.passkey.register({
        credential: new SoftAuthenticator(ORIGIN).create(spent, { origin: "https://evil.example" }),
      }),
    );
    const late = await appError(caller.passkey.register({ credential: new SoftAuthenticator(ORIGIN).create(spent) }));
    expect(late.message).toContain("the challenge is unknown, used or expired");
    // So does a successful one.
    const options = await caller.passkey.registrationOptions();
    await caller.passkey.register({ credential: new SoftAuthenticator(ORIGIN).create(options) });
    const replay = await appError(
      caller.passkey.register({ credential: new SoftAuthenticator(ORIGIN).create(options) }),
    );
    expect(replay.message).toContain("the challenge is unknown, used or expired");
    // Another user's options, and sign-in options, are not this user's registration challenge.
    const foreign = await app().caller(other.authorization).passkey.registrationOptions();
    const stolen = await appError(
      caller.passkey.register({ credential: new SoftAuthenticator(ORIGIN).create(foreign) }),
    );
    expect(stolen.message).toContain("the challenge is unknown, used or expired");
    const login = await app().caller().passkey.loginOptions();
    const wrongPurpose = await appError(
      caller.passkey.register({
        credential: new SoftAuthenticator(ORIGIN).create({ challenge: login.challenge, user: foreign.user }),
      }),
    );
    expect(wrongPurpose.code).toBe("passkey_invalid");
  });

  it("refuses an expired challenge", async () => {
    const { caller } = await withPasskey();
    const options = await caller.passkey.registrationOptions();
    await app()
      .db.db.updateTable("webauthn_challenges")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    const error = await appError(
      caller.passkey.register({ credential: new SoftAuthenticator(ORIGIN).create(options) }),
    );
    expect(error.message).toContain("the challenge is unknown, used or expired");
  });

  it("renames and removes only the caller's own passkeys", async () => {
    const { caller, passkey, user } = await withPasskey();
    const stranger = app().caller((await signUp(app())).authorization);
    expect((await appError(stranger.passkey.rename({ id: passkey.id, name: "Mine now" }))).code).toBe("not_found");
    expect((await appError(stranger.passkey.remove({ id: passkey.id }))).code).toBe("not_found");
    expect(await caller.passkey.rename({ id: passkey.id, name: "  Work laptop " })).toMatchObject({
      id: passkey.id,
      name: "Work laptop",
    });
    expect((await appError(caller.passkey.rename({ id: passkey.id, name: "   " }))).fields).toEqual({
      name: ["This field may not be blank."],
    });
    await caller.passkey.remove({ id: passkey.id });
    expect(await caller.passkey.list()).toEqual([]);
    expect((await appError(caller.passkey.remove({ id: passkey.id }))).code).toBe("not_found");
    expect((await events(user.id, "passkey_renamed")).length).toBe(1);
    expect((await events(user.id, "passkey_removed")).length).toBe(1);
  });

  it("rations registration options per user (each writes a challenge)", async () => {
    const { authorization } = await signUp(app());
    const caller = app().caller(authorization);
    const results = await Promise.allSettled(Array.from({ length: 36 }, () => caller.passkey.registrationOptions()));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(30);
    const refused = results.find((result) => result.status === "rejected");
    expect((await appError(Promise.reject((refused as PromiseRejectedResult).reason))).code).toBe("throttled");
  });

  it("asks for a token on every management procedure", async () => {
    for (const call of [
      app().caller().passkey.registrationOptions(),
      app().caller().passkey.list(),
      app().caller().passkey.rename({ id: 1, name: "x" }),
      app().caller().passkey.remove({ id: 1 }),
      app()
        .caller()
        .passkey.register({
          credential: new SoftAuthenticator(ORIGIN).create({ challenge: "x".repeat(43), user: { id: "AA" } }),
        }),
    ]) {
      expect((await appError(call)).code).toBe("not_authenticated");
    }
  });
});

describe("passkey sign-in", () => {
  it("answers a token pair for a discoverable passkey with user verification, and moves the counter", async () => {
    const { authenticator, passkey, user } = await withPasskey();
    const options = await app().caller().passkey.loginOptions();
    expect(options).toMatchObject({ rpId: "localhost", userVerification: "required" });
    expect(options.allowCredentials ?? []).toEqual([]);
    const pair = await app()
      .caller()
      .passkey.login({ credential: authenticator.get(options) });
    expect(decodePayload(pair.access).user_id).toBe(user.id);
    expect((await app().caller(`Bearer ${pair.access}`).user.me()).id).toBe(user.id);
    await app().caller().auth.refresh({ refresh: pair.refresh });
    const [listed] = await app().caller(`Bearer ${pair.access}`).passkey.list();
    expect(listed?.last_used_at).not.toBeNull();
    const stored = await app()
      .db.db.selectFrom("passkeys")
      .select("counter")
      .where("id", "=", passkey.id)
      .executeTakeFirstOrThrow();
    expect(Number(stored.counter)).toBe(1);
    const login = await app()
      .db.db.selectFrom("auth_events")
      .select("detail")
      .where("user_id", "=", user.id)
      .where("event", "=", "login_succeeded")
      .execute();
    expect(login.map((row) => (row.detail as { path?: string }).path)).toContain("passkey");
  });

  it("fails the same way for an unknown credential, a replayed challenge, a counter regression, another origin, no user verification", async () => {
    const { authenticator, user } = await withPasskey();
    await signIn(authenticator);
    const failures: Array<[string, () => Promise<unknown>]> = [
      ["unknown credential", () => signIn(new SoftAuthenticator(ORIGIN))],
      ["counter regression", () => signIn(authenticator, { counter: 1 })],
      ["counter repeated", () => signIn(authenticator, { counter: authenticator.counter })],
      ["origin", () => signIn(authenticator, { origin: "https://evil.example" })],
      ["user verification", () => signIn(authenticator, { userVerified: false })],
      ["rp id", () => signIn(authenticator, { rpId: "example.com" })],
    ];
    for (const [what, attempt] of failures) {
      const error = await appError(attempt());
      expect([what, error.code, error.message]).toEqual([what, "authentication_failed", "Passkey sign-in failed."]);
    }
    // One assertion, presented twice: its challenge was used the first time.
    const options = await app().caller().passkey.loginOptions();
    const assertion = authenticator.get(options);
    await app().caller().passkey.login({ credential: assertion });
    const replay = await appError(app().caller().passkey.login({ credential: assertion }));
    expect(replay.code).toBe("authentication_failed");
    // An assertion made for a registration challenge, or with a made-up one, is refused too.
    const made = authenticator.get({ challenge: Buffer.alloc(32, 7).toString("base64url") });
    expect((await appError(app().caller().passkey.login({ credential: made }))).code).toBe("authentication_failed");
    // The owner's sign-in still works after all that, and the reasons are in the audit trail.
    await signIn(authenticator);
    const reasons = (await events(user.id, "passkey_login_failed")).map(
      (row) => (row.detail as { reason: string }).reason,
    );
    expect(reasons.some((reason) => /counter/i.test(reason))).toBe(true);
    expect(reasons.some((reason) => /origin/i.test(reason))).toBe(true);
    expect(reasons.some((reason) => /verif/i.test(reason))).toBe(true);
    expect(reasons).toContain("challenge unknown, used or expired");
  });

  it("refuses a user handle that is not the passkey's, and a deactivated user", async () => {
    const { authenticator, user } = await withPasskey();
    authenticator.userHandle = new Uint8Array(32).fill(1);
    expect((await appError(signIn(authenticator))).code).toBe("authentication_failed");
    const { authenticator: second, user: owner } = await withPasskey();
    await app().db.db.updateTable("users").set({ is_active: false }).where("id", "=", owner.id).execute();
    expect((await appError(signIn(second))).code).toBe("authentication_failed");
    expect((await events(user.id, "passkey_login_failed"))[0]?.detail).toMatchObject({
      reason: "user handle does not match",
    });
  });

  it("accepts authenticators that keep no counter (always 0)", async () => {
    const { authenticator } = await withPasskey(new SoftAuthenticator(ORIGIN, "localhost", false));
    await signIn(authenticator);
    await signIn(authenticator);
  });

  it("of dozens of parallel sign-ins with one assertion, exactly one gets tokens", async () => {
    const { authenticator, user } = await withPasskey();
    const options = await app().caller().passkey.loginOptions();
    const assertion = authenticator.get(options);
    const results = await Promise.allSettled(
      Array.from({ length: 24 }, () => app().caller().passkey.login({ credential: assertion })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const sessions = await app()
      .db.db.selectFrom("refresh_families")
      .select("id")
      .where("user_id", "=", user.id)
      .execute();
    // The sign-up's own login, and the one passkey sign-in.
    expect(sessions).toHaveLength(2);
  });

  it("of parallel sign-ins with fresh challenges and one counter value, one passes", async () => {
    const { authenticator } = await withPasskey();
    const assertions = await Promise.all(
      Array.from({ length: 12 }, async () =>
        authenticator.get(await app().caller().passkey.loginOptions(), { counter: 7 }),
      ),
    );
    const results = await Promise.allSettled(
      assertions.map((credential) => app().caller().passkey.login({ credential })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });
});

describe("passkeys switched off", () => {
  it("answers passkeys_disabled in production without WEBAUTHN_RP_ID", async () => {
    const off = await startTestApp({
      NODE_ENV: "production",
      SECRET_KEY: "s".repeat(40),
      METRICS_TOKEN: "m".repeat(32),
    });
    try {
      const { authorization } = await signUp(off);
      expect((await appError(off.caller(authorization).passkey.registrationOptions())).code).toBe("passkeys_disabled");
      expect((await appError(off.caller().passkey.loginOptions())).code).toBe("passkeys_disabled");
    } finally {
      await off.app.stop();
      await off.db.close();
    }
  });
});
