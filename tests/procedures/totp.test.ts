import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createSecrets } from "../../server/crypto/secrets.js";
import { TEST_SIGNING_KEY, useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { signUp } from "../helpers/users.js";

const app = useTestApp();
const STEP_MS = 30_000;

afterEach(() => {
  vi.useRealTimers();
});

/** Pins the server's (and the test's) clock; only Date is faked, timers run as usual. */
function at(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(ms);
}

const code = (secret: Uint8Array, step: number) => generateHOTP(secret, BigInt(step), 6);
const currentStep = () => Math.floor(Date.now() / STEP_MS);

/** A user who began enrolment: the caller, the setup answer and the secret's bytes. */
async function enrolling() {
  const account = await signUp(app());
  const caller = app().caller(account.authorization);
  const setup = await caller.totp.begin();
  return { ...account, caller, setup, secret: decodeBase32IgnorePadding(setup.secret) };
}

/** A user with TOTP on; the time step of the confirming code is used. */
async function enrolled() {
  const account = await enrolling();
  const { recovery_codes } = await account.caller.totp.confirm({ code: code(account.secret, currentStep()) });
  return { ...account, recoveryCodes: recovery_codes };
}

const rows = (table: "recovery_codes" | "totp_credentials", userId: number) =>
  app().db.db.selectFrom(table).selectAll().where("user_id", "=", userId).execute();

describe("TOTP enrolment", () => {
  it("answers a secret, its otpauth URI and QR code, then turns on with the first code and ten recovery codes", async () => {
    const { caller, setup, secret, user } = await enrolling();
    expect(secret).toHaveLength(20);
    const uri = new URL(setup.otpauth_uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe(`/JWT Auth:${user.username}`);
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: "JWT Auth",
      algorithm: "SHA1",
      secret: setup.secret,
      period: "30",
      digits: "6",
    });
    expect(setup.qr_svg).toMatch(/^<svg [^>]*viewBox="0 0 (\d+) \1"[^>]*>.*<\/svg>$/s);
    expect(await caller.mfa.status()).toEqual({ totp: false, recovery_codes_remaining: 0, passkeys: 0 });

    const { recovery_codes } = await caller.totp.confirm({ code: code(secret, currentStep()) });
    expect(recovery_codes).toHaveLength(10);
    expect(new Set(recovery_codes).size).toBe(10);
    for (const recovery of recovery_codes)
      expect(recovery).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
    expect(await caller.mfa.status()).toEqual({ totp: true, recovery_codes_remaining: 10, passkeys: 0 });

    // At rest: the secret sealed (for this user only), the codes as keyed hashes.
    const [credential] = await rows("totp_credentials", user.id);
    expect(Buffer.from(credential?.sealed_secret ?? []).includes(Buffer.from(secret))).toBe(false);
    const secrets = createSecrets(TEST_SIGNING_KEY);
    expect(new Uint8Array(secrets.openTotpSecret(user.id, credential?.sealed_secret as Uint8Array) ?? [])).toEqual(
      secret,
    );
    expect(secrets.openTotpSecret(user.id + 1, credential?.sealed_secret as Uint8Array)).toBeUndefined();
    expect(
      createSecrets("another-secret-key-that-is-long-enough").openTotpSecret(
        user.id,
        credential?.sealed_secret as Uint8Array,
      ),
    ).toBeUndefined();
    const stored = await rows("recovery_codes", user.id);
    expect(stored).toHaveLength(10);
    for (const row of stored) {
      expect(row.code_hash).toHaveLength(32);
      for (const recovery of recovery_codes)
        expect(Buffer.from(row.code_hash).toString("latin1")).not.toContain(recovery);
    }
    const events = await app()
      .db.db.selectFrom("auth_events")
      .select("event")
      .where("user_id", "=", user.id)
      .orderBy("id")
      .execute();
    expect(events.map((row) => row.event)).toEqual([
      "user_registered",
      "login_succeeded",
      "totp_enrolment_started",
      "totp_enabled",
      "recovery_codes_generated",
    ]);
  });

  it("refuses a wrong code, an expired or missing enrolment, and a second enrolment while on", async () => {
    const { caller, secret, user } = await enrolling();
    const wrong = await appError(caller.totp.confirm({ code: code(secret, currentStep() + 5) }));
    expect([wrong.code, wrong.message]).toEqual(["mfa_code_invalid", "Invalid or expired code."]);
    expect((await appError(caller.totp.confirm({ code: "abc" }))).code).toBe("mfa_code_invalid");

    // Beginning again replaces the pending secret: the old one's codes no longer count.
    const fresh = decodeBase32IgnorePadding((await caller.totp.begin()).secret);
    expect((await appError(caller.totp.confirm({ code: code(secret, currentStep()) }))).code).toBe("mfa_code_invalid");

    await app()
      .db.db.updateTable("totp_credentials")
      .set({ created_at: new Date(Date.now() - 11 * 60_000) })
      .where("user_id", "=", user.id)
      .execute();
    const expired = await appError(caller.totp.confirm({ code: code(fresh, currentStep()) }));
    expect([expired.code, expired.message]).toEqual([
      "totp_not_enabled",
      "No two-factor enrolment is waiting, or it expired: start again.",
    ]);

    const { caller: on } = await enrolled();
    expect((await appError(on.totp.begin())).code).toBe("totp_already_enabled");
    expect((await appError(on.totp.confirm({ code: "123456" }))).code).toBe("totp_already_enabled");
    const { caller: none } = { caller: app().caller((await signUp(app())).authorization) };
    expect((await appError(none.totp.confirm({ code: "123456" }))).code).toBe("totp_not_enabled");
    expect((await appError(none.totp.disable({ code: "123456" }))).code).toBe("totp_not_enabled");
    expect((await appError(none.mfa.regenerateRecoveryCodes({ code: "123456" }))).code).toBe("totp_not_enabled");
  });

  it("of dozens of parallel confirmations with one code, exactly one turns TOTP on", async () => {
    const { caller, secret, user } = await enrolling();
    const first = code(secret, currentStep());
    const results = await Promise.allSettled(Array.from({ length: 24 }, () => caller.totp.confirm({ code: first })));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(await rows("recovery_codes", user.id)).toHaveLength(10);
  });
});

describe("TOTP codes", () => {
  it("accepts the steps on either side of the current one and refuses the ones just outside, at the edges of a step", async () => {
    const { caller, secret } = await enrolled();
    const step = currentStep() + 2;
    const check = (value: string) => caller.mfa.regenerateRecoveryCodes({ code: value });

    at(step * STEP_MS); // the first millisecond of `step`
    expect((await appError(check(code(secret, step - 2)))).code).toBe("mfa_code_invalid");
    await check(code(secret, step - 1));
    expect((await appError(check(code(secret, step - 1)))).code).toBe("mfa_code_invalid");
    await check(code(secret, step));

    at(step * STEP_MS + STEP_MS - 1); // its last millisecond
    expect((await appError(check(code(secret, step + 2)))).code).toBe("mfa_code_invalid");
    // A code of the current step, already used, and then of a step before the last one used, are replays.
    expect((await appError(check(code(secret, step)))).code).toBe("mfa_code_invalid");
    await check(code(secret, step + 1));
    at((step + 1) * STEP_MS);
    expect((await appError(check(code(secret, step)))).code).toBe("mfa_code_invalid");
  });

  it("counts attempts before checking them: the eleventh in the window is throttled, right or not", async () => {
    const { caller, secret } = await enrolled();
    const step = currentStep() + 4;
    at(step * STEP_MS);
    for (let attempt = 0; attempt < 9; attempt += 1) {
      expect((await appError(caller.totp.disable({ code: "000000" }))).code).toBe("mfa_code_invalid");
    }
    // The confirmation was the first attempt; the tenth is the last one checked.
    const throttled = await appError(caller.totp.disable({ code: code(secret, step) }));
    expect(throttled.code).toBe("throttled");
    expect(throttled.retryAfter).toBeGreaterThan(0);
  });

  it("of dozens of parallel uses of one code, exactly one is accepted, and no more than the quota are checked", async () => {
    const { caller, secret, user } = await enrolled();
    const step = currentStep() + 6;
    at(step * STEP_MS);
    const value = code(secret, step);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => caller.mfa.regenerateRecoveryCodes({ code: value })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const codes = await Promise.all(
      results.flatMap((result) => (result.status === "rejected" ? [appError(Promise.reject(result.reason))] : [])),
    );
    const counts = codes.reduce<Record<string, number>>((all, error) => {
      all[error.code] = (all[error.code] ?? 0) + 1;
      return all;
    }, {});
    expect(Object.keys(counts).sort()).toEqual(["mfa_code_invalid", "throttled"]);
    // The confirmation, the one success and the replays: ten attempts in all, the rest refused unchecked.
    expect(1 + 1 + (counts.mfa_code_invalid ?? 0)).toBe(10);
    expect(await rows("recovery_codes", user.id)).toHaveLength(10);
  });
});

describe("recovery codes", () => {
  it("work once each, typed loosely; regenerating kills the old ones", async () => {
    const { caller, recoveryCodes } = await enrolled();
    const [first = "", second = "", third = ""] = recoveryCodes;
    const fresh = (await caller.mfa.regenerateRecoveryCodes({ code: ` ${first.toUpperCase().replace(/-/g, " ")} ` }))
      .recovery_codes;
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(second);
    // The old set died with the regeneration, the used one too.
    for (const old of [first, second, third]) {
      expect((await appError(caller.mfa.regenerateRecoveryCodes({ code: old }))).code).toBe("mfa_code_invalid");
    }
    expect((await caller.mfa.status()).recovery_codes_remaining).toBe(10);
    await caller.mfa.regenerateRecoveryCodes({ code: fresh[0] as string }).then((result) => {
      expect(result.recovery_codes).toHaveLength(10);
    });
  });

  it("of dozens of parallel uses of one recovery code, exactly one disables TOTP", async () => {
    const { caller, recoveryCodes, user } = await enrolled();
    const results = await Promise.allSettled(
      Array.from({ length: 9 }, () => caller.totp.disable({ code: recoveryCodes[4] as string })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(await rows("totp_credentials", user.id)).toEqual([]);
    expect(await rows("recovery_codes", user.id)).toEqual([]);
    expect(await caller.mfa.status()).toEqual({ totp: false, recovery_codes_remaining: 0, passkeys: 0 });
    const disabled = await app()
      .db.db.selectFrom("auth_events")
      .select("detail")
      .where("user_id", "=", user.id)
      .where("event", "=", "totp_disabled")
      .execute();
    expect(disabled.map((row) => row.detail)).toEqual([{ with: "recovery_code" }]);
    // And TOTP can be enrolled again from scratch.
    await caller.totp.begin();
  });

  it("disable with a TOTP code", async () => {
    const { caller, secret } = await enrolled();
    const step = currentStep() + 8;
    at(step * STEP_MS);
    await caller.totp.disable({ code: code(secret, step) });
    expect((await caller.mfa.status()).totp).toBe(false);
  });
});

describe("authentication", () => {
  it("asks for a token on every TOTP and MFA procedure", async () => {
    for (const call of [
      app().caller().mfa.status(),
      app().caller().mfa.regenerateRecoveryCodes({ code: "123456" }),
      app().caller().totp.begin(),
      app().caller().totp.confirm({ code: "123456" }),
      app().caller().totp.disable({ code: "123456" }),
    ]) {
      expect((await appError(call)).code).toBe("not_authenticated");
    }
  });
});
