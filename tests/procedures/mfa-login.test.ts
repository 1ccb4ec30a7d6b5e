import { afterEach, describe, expect, it, vi } from "vitest";
import { createContext } from "../../server/context.js";
import { createSecrets } from "../../server/crypto/secrets.js";
import { replaceOtpCode } from "../../server/db/repositories/otp-codes.js";
import { createCaller } from "../../server/routers/app.js";
import { obtainTokenPair } from "../../server/services/auth.js";
import { TEST_SIGNING_KEY, useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { currentStep, STEP_MS, totpCode, withTotp } from "../helpers/mfa.js";
import { countingStatements } from "../helpers/statements.js";
import { decodePayload } from "../helpers/tokens.js";
import { STRONG_PASSWORD, signUp } from "../helpers/users.js";

const app = useTestApp();

afterEach(() => {
  vi.useRealTimers();
});

/** Pins the server's (and the test's) clock; only Date is faked. */
function at(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(ms);
}

/** The password step of an account with a second factor: its `mfa_required` error. */
async function passwordStep(username: string) {
  const error = await appError(app().caller().auth.obtainToken({ username, password: STRONG_PASSWORD }));
  expect(error.code).toBe("mfa_required");
  expect(error.status).toBe(401);
  return error.mfa as NonNullable<typeof error.mfa>;
}

const sessionsOf = (userId: number) =>
  app().db.db.selectFrom("refresh_families").select(["id", "amr"]).where("user_id", "=", userId).execute();

describe("the password step of an account with a second factor", () => {
  it("answers mfa_required with a hashed, single-use ticket and the methods, and starts no session", async () => {
    const { account, user } = await withTotp(app());
    const before = await sessionsOf(user.id);
    const challenge = await passwordStep(account.username);
    expect(challenge.methods).toEqual(["totp", "recovery_code"]);
    expect(challenge.mfa_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await sessionsOf(user.id)).toEqual(before);
    const [row] = await app().db.db.selectFrom("mfa_challenges").selectAll().where("user_id", "=", user.id).execute();
    expect(Buffer.from(row?.token_hash ?? []).toString("base64url")).not.toBe(challenge.mfa_token);
    expect(Buffer.from(row?.token_hash ?? []).includes(Buffer.from(challenge.mfa_token))).toBe(false);
    const events = await app()
      .db.db.selectFrom("auth_events")
      .select(["event", "detail"])
      .where("user_id", "=", user.id)
      .where("event", "in", ["mfa_required", "login_succeeded"])
      .orderBy("id")
      .execute();
    expect(events.at(-1)).toEqual({
      event: "mfa_required",
      detail: { path: "token", methods: ["totp", "recovery_code"] },
    });
  });

  it("the wrong password still gets the one failure, never the ticket", async () => {
    const { account } = await withTotp(app());
    const error = await appError(app().caller().auth.obtainToken({ username: account.username, password: "wrong" }));
    expect(error.code).toBe("authentication_failed");
    expect(error.mfa).toBeUndefined();
  });

  it("the email-code login asks for the stronger factor instead of mailing a code", async () => {
    const { account, user } = await withTotp(app());
    const error = await appError(app().caller().otp.request({ username: account.username, password: STRONG_PASSWORD }));
    expect(error.code).toBe("mfa_required");
    expect(error.mfa?.methods).toEqual(["totp", "recovery_code"]);
    const codes = await app().db.db.selectFrom("otp_codes").select("user_id").where("user_id", "=", user.id).execute();
    expect(codes).toEqual([]);
  });

  it("an email code mailed before TOTP was enrolled gets mfa_required, not tokens", async () => {
    const { account, user } = await withTotp(app());
    const secrets = createSecrets(TEST_SIGNING_KEY);
    await replaceOtpCode(app().db.db, user.id, secrets.otpDigest(user.id, "123456"), 300);
    const error = await appError(app().caller().otp.verify({ username: account.username, otp: "123456" }));
    expect([error.code, error.mfa?.methods]).toEqual(["mfa_required", ["totp", "recovery_code"]]);
  });

  it("an account without a second factor logs in with the password alone, amr pwd", async () => {
    const { account } = await signUp(app());
    const pair = await app().caller().auth.obtainToken({ username: account.username, password: STRONG_PASSWORD });
    expect(decodePayload(pair.access).amr).toEqual(["pwd"]);
  });

  it("reads the user and its second factors in the statement that counts the attempt: three statements for a login", async () => {
    const { account: plain } = await signUp(app());
    const { account: guarded } = await withTotp(app());
    const { db, counter } = countingStatements(app().db.db);
    const caller = createCaller(createContext({ ...app().app.deps, db }));
    // The attempt counted with the user and its factors read, the counters settled, then the session...
    await caller.auth.obtainToken({ username: plain.username, password: STRONG_PASSWORD });
    expect(counter.statements).toBe(3);
    counter.statements = 0;
    // ...or the ticket and its audit row (in a transaction, whose begin and commit the plugin does not see).
    expect(
      (await appError(caller.auth.obtainToken({ username: guarded.username, password: STRONG_PASSWORD }))).code,
    ).toBe("mfa_required");
    expect(counter.statements).toBe(2 + 2);
  });

  it("with a device token, reads the account before it chooses the counters: one statement more", async () => {
    const { account } = await signUp(app());
    const { db, counter } = countingStatements(app().db.db);
    const deps = { ...app().app.deps, db };
    const first = await obtainTokenPair(
      deps,
      { ip: "203.0.113.9", userAgent: undefined },
      account.username,
      STRONG_PASSWORD,
    );
    counter.statements = 0;
    const client = { ip: "203.0.113.9", userAgent: undefined, deviceToken: first.deviceToken };
    await obtainTokenPair(deps, client, account.username, STRONG_PASSWORD);
    expect(counter.statements).toBe(4);
  });
});

describe("auth.completeMfa", () => {
  it("a TOTP code gives the pair with amr pwd+otp+mfa and auth_time, which a refresh keeps", async () => {
    const { account, secret, confirmedStep } = await withTotp(app());
    const { mfa_token } = await passwordStep(account.username);
    const pair = await app()
      .caller()
      .auth.completeMfa({ mfa_token, method: "totp", code: totpCode(secret, confirmedStep + 1) });
    const claims = decodePayload(pair.access);
    expect(claims.amr).toEqual(["pwd", "otp", "mfa"]);
    expect(claims.auth_time).toBe(claims.iat);
    // The session's authentication an hour ago: a refresh now still says when it was, and how.
    await app()
      .db.db.updateTable("refresh_families")
      .set({ auth_time: new Date(((claims.auth_time as number) - 3600) * 1000) })
      .where("id", "=", (claims.jti as string).slice(0, 24))
      .execute();
    const refreshed = decodePayload((await app().caller().auth.refresh({ refresh: pair.refresh })).access);
    expect(refreshed).toMatchObject({ amr: ["pwd", "otp", "mfa"], auth_time: (claims.auth_time as number) - 3600 });
  });

  it("accepts the codes of the previous and next steps, refuses those two steps away, and refuses a replay", async () => {
    const { account, secret, confirmedStep } = await withTotp(app());
    const step = confirmedStep + 10;
    at(step * STEP_MS + 15_000);
    for (const offset of [-2, 2]) {
      const { mfa_token } = await passwordStep(account.username);
      const error = await appError(
        app()
          .caller()
          .auth.completeMfa({ mfa_token, method: "totp", code: totpCode(secret, step + offset) }),
      );
      expect([offset, error.code]).toEqual([offset, "mfa_code_invalid"]);
    }
    const first = await passwordStep(account.username);
    await app()
      .caller()
      .auth.completeMfa({ mfa_token: first.mfa_token, method: "totp", code: totpCode(secret, step - 1) });
    // The same code again, and any code of that step or an earlier one: replays.
    for (const code of [totpCode(secret, step - 1), totpCode(secret, step - 1)]) {
      const again = await passwordStep(account.username);
      const error = await appError(
        app().caller().auth.completeMfa({ mfa_token: again.mfa_token, method: "totp", code }),
      );
      expect(error.code).toBe("mfa_code_invalid");
    }
    const next = await passwordStep(account.username);
    await app()
      .caller()
      .auth.completeMfa({ mfa_token: next.mfa_token, method: "totp", code: totpCode(secret, step + 1) });
  });

  it("a recovery code works once", async () => {
    const { account, recoveryCodes } = await withTotp(app());
    const code = (recoveryCodes[0] as string).toUpperCase().replaceAll("-", " ");
    const first = await passwordStep(account.username);
    const pair = await app().caller().auth.completeMfa({ mfa_token: first.mfa_token, method: "recovery_code", code });
    expect(decodePayload(pair.access).amr).toEqual(["pwd", "otp", "mfa"]);
    const second = await passwordStep(account.username);
    expect(second.methods).toEqual(["totp", "recovery_code"]);
    const error = await appError(
      app().caller().auth.completeMfa({ mfa_token: second.mfa_token, method: "recovery_code", code }),
    );
    expect(error.code).toBe("mfa_code_invalid");
  });

  it("of dozens of parallel completions with one ticket, exactly one gets tokens", async () => {
    const { account, user, recoveryCodes } = await withTotp(app());
    const { mfa_token } = await passwordStep(account.username);
    const before = (await sessionsOf(user.id)).length;
    const results = await Promise.allSettled(
      recoveryCodes
        .concat(recoveryCodes, recoveryCodes)
        .map((code) => app().caller().auth.completeMfa({ mfa_token, method: "recovery_code", code })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect((await sessionsOf(user.id)).length).toBe(before + 1);
    const error = await appError(
      app()
        .caller()
        .auth.completeMfa({ mfa_token, method: "recovery_code", code: recoveryCodes[9] as string }),
    );
    expect(error.code).toBe("mfa_token_invalid");
  });

  it("a ticket dies after five tries, and when it expires", async () => {
    const { account, secret } = await withTotp(app());
    const { mfa_token } = await passwordStep(account.username);
    for (let i = 0; i < 5; i += 1) {
      const error = await appError(app().caller().auth.completeMfa({ mfa_token, method: "totp", code: "000000" }));
      expect(error.code).toBe("mfa_code_invalid");
    }
    const code = totpCode(secret, currentStep() + 1);
    const dead = await appError(app().caller().auth.completeMfa({ mfa_token, method: "totp", code }));
    expect(dead.code).toBe("mfa_token_invalid");

    const fresh = await passwordStep(account.username);
    await app()
      .db.db.updateTable("mfa_challenges")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    const expired = await appError(
      app().caller().auth.completeMfa({ mfa_token: fresh.mfa_token, method: "totp", code }),
    );
    expect(expired.code).toBe("mfa_token_invalid");
  });

  it("refuses an unknown ticket, a method the account lacks, and a missing code, with 4xx", async () => {
    const { account } = await withTotp(app());
    const unknown = await appError(
      app()
        .caller()
        .auth.completeMfa({ mfa_token: "x".repeat(43), method: "totp", code: "123456" }),
    );
    expect(unknown.code).toBe("mfa_token_invalid");
    const { mfa_token } = await passwordStep(account.username);
    const noPasskey = await appError(app().caller().auth.mfaPasskeyOptions({ mfa_token }));
    expect(noPasskey.fields).toEqual({ mfa_token: ["This account has no passkey."] });
    const missing = await appError(app().caller().auth.completeMfa({ mfa_token, method: "totp" }), { mfa_token });
    expect(missing.fields).toEqual({ code: ["This field is required."] });
  });
});
