import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { procedureErrors as sdkTable } from "../../client-sdk/src/generated/api.js";
import { createContext } from "../../server/context.js";
import { procedureErrors } from "../../server/contracts/procedure-errors.js";
import { createSecrets } from "../../server/crypto/secrets.js";
import { replaceOtpCode } from "../../server/db/repositories/otp-codes.js";
import { AppError } from "../../server/errors.js";
import { projectRoot } from "../../server/paths.js";
import { procedurePaths } from "../../server/procedure-table.js";
import { createCaller } from "../../server/routers/app.js";
import { errorTableMarkdown, procedureErrorTable } from "../../server/tools/error-table.js";
import { TEST_SIGNING_KEY, useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { ageSession, withTotp } from "../helpers/mfa.js";
import { STRONG_PASSWORD, signUp } from "../helpers/users.js";

const app = useTestApp();

/** The machine code a call failed with. */
async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const cause = error instanceof TRPCError ? error.cause : error;
    if (cause instanceof AppError) return cause.code;
    throw error;
  }
  return "succeeded";
}

/** Calls until the answer is `throttled` (or gives up after `max`), whatever the limits are set to. */
async function untilThrottled(call: () => Promise<unknown>, max = 40): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < max; i += 1) {
    const code = await codeOf(call());
    seen.push(code);
    if (code === "throttled") break;
  }
  return seen;
}

describe("the error table (client-sdk/ERRORS.md)", () => {
  it("has an entry for every procedure and no other, and the SDK ships the table as generated", () => {
    expect(Object.keys(procedureErrors).sort()).toEqual(procedurePaths());
    const table = procedureErrorTable();
    expect(Object.fromEntries(table.map(({ path, codes }) => [path, codes]))).toEqual(sdkTable);
    expect(readFileSync(join(projectRoot, "client-sdk", "ERRORS.md"), "utf8")).toBe(errorTableMarkdown(table));
  });

  it("marks exactly the procedures that refuse a caller without a token", async () => {
    const anonymous = app().caller();
    for (const { path, needsToken } of procedureErrorTable()) {
      const [router = "", name = ""] = path.split(".");
      const procedure = (anonymous as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>)[
        router
      ]?.[name];
      const code = await codeOf(procedure?.({ id: 1 }) ?? Promise.reject(new Error(`no ${path}`)));
      expect([path, code === "not_authenticated"]).toEqual([path, needsToken]);
    }
  });

  it("each procedure answers each of its own codes", async () => {
    const { account, tokens, authorization, user } = await signUp(app());
    const caller = app().caller(authorization);
    const anonymous = app().caller();
    const fromOneAddress = createCaller(createContext(app().app.deps, { ip: "198.51.100.7" }));
    const seen: Array<[string, string]> = [];
    const expectCode = async (path: string, call: Promise<unknown>, code: string) => {
      const got = await codeOf(call);
      seen.push([path, got]);
      expect([path, got]).toEqual([path, code]);
    };

    await expectCode(
      "auth.obtainToken",
      anonymous.auth.obtainToken({ username: account.username, password: "wrong-password" }),
      "authentication_failed",
    );
    await expectCode("auth.refresh", anonymous.auth.refresh({ refresh: "garbage" }), "token_not_valid");
    await expectCode("auth.verify", anonymous.auth.verify({ token: "garbage" }), "token_not_valid");
    await expectCode("auth.blacklist", anonymous.auth.blacklist({ refresh: "garbage" }), "token_not_valid");
    await expectCode("user.revokeSession", caller.user.revokeSession({ id: "no-such-session" }), "not_found");
    await expectCode("task.byId", caller.task.byId({ id: 999_999 }), "not_found");
    await expectCode("task.update", caller.task.update({ id: 999_999, title: "x" }), "not_found");
    await expectCode("task.patch", caller.task.patch({ id: 999_999, title: "x" }), "not_found");
    await expectCode("task.remove", caller.task.remove({ id: 999_999 }), "not_found");
    await expectCode(
      "otp.request",
      anonymous.otp.request({ username: account.username, password: "wrong" }),
      "invalid_credentials",
    );
    await expectCode("otp.verify", anonymous.otp.verify({ username: account.username, otp: "000000" }), "otp_invalid");

    const throttledPaths: Array<[string, () => Promise<unknown>]> = [
      [
        "auth.obtainToken",
        () => anonymous.auth.obtainToken({ username: account.username, password: "wrong-password" }),
      ],
      // Wrong codes lock nothing but the code; the ceiling is the client's address.
      ["otp.verify", () => fromOneAddress.otp.verify({ username: account.username, otp: "000000" })],
      ["passwordReset.request", () => anonymous.passwordReset.request({ email: account.email })],
    ];
    for (const [path, call] of throttledPaths) {
      const codes = await untilThrottled(call, 150);
      expect([path, codes.at(-1)]).toEqual([path, "throttled"]);
      for (const code of codes) seen.push([path, code]);
    }
    // The other password paths share the account's lockout; fresh accounts for each.
    const second = await signUp(app());
    const secondCaller = app().caller(second.authorization);
    for (const [path, call] of [
      ["otp.request", () => anonymous.otp.request({ username: second.account.username, password: "not-the-password" })],
      [
        "user.changePassword",
        () => secondCaller.user.changePassword({ old_password: "wrong", password: "x", password2: "x" }),
      ],
    ] as const) {
      const codes = await untilThrottled(call);
      expect([path, codes.at(-1)]).toEqual([path, "throttled"]);
      for (const code of codes) seen.push([path, code]);
    }

    // Strong authentication: an account with TOTP, a session of an hour ago, assertions that verify nothing.
    const strong = await withTotp(app());
    const stale = app().caller((await ageSession(app(), strong.tokens.refresh, 3600)).authorization);
    const login = { username: strong.account.username, password: STRONG_PASSWORD };
    const noTicket = "x".repeat(43);
    const assertion = {
      id: "AAAA",
      rawId: "AAAA",
      type: "public-key" as const,
      response: { clientDataJSON: "AAAA", authenticatorData: "AAAA", signature: "AAAA" },
    };
    const registration = {
      id: "AAAA",
      rawId: "AAAA",
      type: "public-key" as const,
      response: { clientDataJSON: "AAAA", attestationObject: "AAAA" },
    };
    const change = {
      old_password: STRONG_PASSWORD,
      password: "Another-Horse-7-Staple",
      password2: "Another-Horse-7-Staple",
    };
    await expectCode("auth.obtainToken", anonymous.auth.obtainToken(login), "mfa_required");
    await expectCode("otp.request", anonymous.otp.request(login), "mfa_required");
    // A code mailed before TOTP was enrolled.
    const otpDigest = createSecrets(TEST_SIGNING_KEY).otpDigest(strong.user.id, "123456");
    await replaceOtpCode(app().db.db, strong.user.id, otpDigest, 300);
    await expectCode("otp.verify", anonymous.otp.verify({ username: login.username, otp: "123456" }), "mfa_required");
    const ticket = (await appError(anonymous.auth.obtainToken(login))).mfa?.mfa_token ?? "";
    await expectCode(
      "auth.completeMfa",
      anonymous.auth.completeMfa({ mfa_token: noTicket, method: "totp", code: "000000" }),
      "mfa_token_invalid",
    );
    await expectCode(
      "auth.completeMfa",
      anonymous.auth.completeMfa({ mfa_token: ticket, method: "totp", code: "000000" }),
      "mfa_code_invalid",
    );
    await expectCode(
      "auth.mfaPasskeyOptions",
      anonymous.auth.mfaPasskeyOptions({ mfa_token: noTicket }),
      "mfa_token_invalid",
    );
    await expectCode(
      "auth.reauthenticate",
      stale.auth.reauthenticate({ password: STRONG_PASSWORD, code: "000000" }),
      "mfa_code_invalid",
    );
    await expectCode("auth.reauthenticate", stale.auth.reauthenticate({ credential: assertion }), "passkey_invalid");
    await expectCode("user.changePassword", stale.user.changePassword(change), "reauthentication_required");
    await expectCode(
      "email.change",
      stale.email.change({ email: "x@example.com", password: STRONG_PASSWORD }),
      "reauthentication_required",
    );
    await expectCode("totp.begin", stale.totp.begin(), "reauthentication_required");
    await expectCode("totp.begin", strong.caller.totp.begin(), "totp_already_enabled");
    await expectCode("totp.disable", stale.totp.disable({ code: "000000" }), "reauthentication_required");
    await expectCode("totp.disable", strong.caller.totp.disable({ code: "000000" }), "mfa_code_invalid");
    await expectCode("totp.disable", caller.totp.disable({ code: "000000" }), "totp_not_enabled");
    await expectCode(
      "mfa.regenerateRecoveryCodes",
      stale.mfa.regenerateRecoveryCodes({ code: "0" }),
      "reauthentication_required",
    );
    await expectCode(
      "mfa.regenerateRecoveryCodes",
      strong.caller.mfa.regenerateRecoveryCodes({ code: "000000" }),
      "mfa_code_invalid",
    );
    await expectCode(
      "mfa.regenerateRecoveryCodes",
      caller.mfa.regenerateRecoveryCodes({ code: "000000" }),
      "totp_not_enabled",
    );
    await expectCode("totp.confirm", caller.totp.confirm({ code: "000000" }), "totp_not_enabled");
    await caller.totp.begin();
    await expectCode("totp.confirm", caller.totp.confirm({ code: "000000" }), "mfa_code_invalid");
    await expectCode("passkey.registrationOptions", stale.passkey.registrationOptions(), "reauthentication_required");
    await expectCode(
      "passkey.register",
      stale.passkey.register({ credential: registration }),
      "reauthentication_required",
    );
    await expectCode("passkey.register", caller.passkey.register({ credential: registration }), "passkey_invalid");
    await expectCode("passkey.rename", caller.passkey.rename({ id: 999_999, name: "x" }), "not_found");
    await expectCode("passkey.remove", stale.passkey.remove({ id: 999_999 }), "reauthentication_required");
    await expectCode("passkey.remove", caller.passkey.remove({ id: 999_999 }), "not_found");
    await expectCode("passkey.login", anonymous.passkey.login({ credential: assertion }), "authentication_failed");

    await app().db.db.updateTable("users").set({ is_active: false }).where("id", "=", user.id).execute();
    await expectCode("auth.refresh", anonymous.auth.refresh({ refresh: tokens.refresh }), "user_inactive");

    // Every code of the table's last column was met (a code added there needs a scenario here)…
    for (const [path, own] of Object.entries(procedureErrors)) {
      for (const code of own) expect(seen).toContainEqual([path, code]);
    }
    // …and whatever a scenario met on its way is in the procedure's row too.
    for (const [path, code] of seen) {
      if (code === "succeeded") continue;
      expect([path, sdkTable[path as keyof typeof sdkTable] as readonly string[]]).toEqual([
        path,
        expect.arrayContaining([code]),
      ]);
    }
  });
});
