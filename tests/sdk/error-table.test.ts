import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { procedureErrors as sdkTable } from "../../client-sdk/src/generated/api.js";
import { createContext } from "../../server/context.js";
import { procedureErrors } from "../../server/contracts/procedure-errors.js";
import { AppError } from "../../server/errors.js";
import { projectRoot } from "../../server/paths.js";
import { procedurePaths } from "../../server/procedure-table.js";
import { createCaller } from "../../server/routers/app.js";
import { errorTableMarkdown, procedureErrorTable } from "../../server/tools/error-table.js";
import { useTestApp } from "../helpers/app.js";
import { signUp } from "../helpers/users.js";

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
