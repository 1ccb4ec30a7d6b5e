import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { decodePayload, mint } from "../helpers/tokens.js";
import { STRONG_PASSWORD, signUp } from "../helpers/users.js";

const app = useTestApp();

describe("user.me", () => {
  it("answers the caller's public fields and nothing else", async () => {
    const { user, authorization } = await signUp(app());
    const me = await app().caller(authorization).user.me();
    expect(me).toEqual(user);
    expect(Object.keys(me)).toEqual(["id", "username", "email", "first_name", "last_name"]);
  });

  it("answers simplejwt's codes for every way the bearer token can fail", async () => {
    const { user, tokens } = await signUp(app());
    const cases: Array<[string | undefined, string, string]> = [
      [undefined, "not_authenticated", "Authentication credentials were not provided."],
      ["Basic dXNlcjpwYXNz", "not_authenticated", "Authentication credentials were not provided."],
      ["Bearer", "bad_authorization_header", "Authorization header must contain two space-delimited values"],
      ["Bearer a b", "bad_authorization_header", "Authorization header must contain two space-delimited values"],
      ["Bearer garbage", "token_not_valid", "Given token not valid for any token type"],
      [`Bearer ${tokens.refresh}`, "token_not_valid", "Given token not valid for any token type"],
    ];
    for (const [header, code, message] of cases) {
      const error = await appError(app().caller(header).user.me());
      expect([header, error.code, error.message]).toEqual([header, code, message]);
    }
    const noUser = await mint({ ...decodePayload(tokens.access), user_id: undefined });
    const error = await appError(app().caller(`Bearer ${noUser}`).user.me());
    expect([error.code, error.message, error.tokenMessages]).toEqual([
      "token_not_valid",
      "Token contained no recognizable user identification",
      undefined,
    ]);
    const refreshAsAccess = await appError(app().caller(`Bearer ${tokens.refresh}`).user.me());
    expect(refreshAsAccess.tokenMessages).toEqual([
      { token_class: "AccessToken", token_type: "access", message: "Token has wrong type" },
    ]);

    await app().db.db.updateTable("users").set({ is_active: false }).where("id", "=", user.id).execute();
    const inactive = await appError(app().caller(`Bearer ${tokens.access}`).user.me());
    expect([inactive.code, inactive.message]).toEqual(["user_inactive", "User is inactive"]);
    await app().db.db.deleteFrom("users").where("id", "=", user.id).execute();
    const gone = await appError(app().caller(`Bearer ${tokens.access}`).user.me());
    expect([gone.code, gone.message]).toEqual(["user_not_found", "User not found"]);
  });
});

describe("user.changePassword", () => {
  it("changes the password, revokes every refresh token, and the old password stops working", async () => {
    const { account, tokens, authorization } = await signUp(app());
    const second = await app().caller().auth.obtainToken({ username: account.username, password: STRONG_PASSWORD });
    const result = await app().caller(authorization).user.changePassword({
      old_password: STRONG_PASSWORD,
      password: "Another-Str0ng-Phrase",
      password2: "Another-Str0ng-Phrase",
    });
    expect(result).toEqual({ message: "Password updated successfully." });
    for (const refresh of [tokens.refresh, second.refresh]) {
      const error = await appError(app().caller().auth.refresh({ refresh }));
      expect(error.message).toBe("Token is blacklisted");
    }
    const old = await appError(
      app().caller().auth.obtainToken({ username: account.username, password: STRONG_PASSWORD }),
    );
    expect(old.code).toBe("authentication_failed");
    await app().caller().auth.obtainToken({ username: account.username, password: "Another-Str0ng-Phrase" });
  });

  it("checks in DRF's order: old password, then the mismatch, then the policy with similarity", async () => {
    const { account, authorization } = await signUp(app(), { first_name: "Bartholomew" });
    const call = (input: Record<string, string>) =>
      appError(
        app()
          .caller(authorization)
          .user.changePassword(input as never),
      );
    expect((await call({ old_password: "wrong-one", password: "x", password2: "y" })).fields).toEqual({
      old_password: ["Old password is not correct."],
    });
    expect((await call({ old_password: STRONG_PASSWORD, password: "x", password2: "y" })).fields).toEqual({
      password: ["Password fields didn't match."],
    });
    expect(
      (await call({ old_password: STRONG_PASSWORD, password: "bartholomew", password2: "bartholomew" })).fields,
    ).toEqual({
      password: ["The password is too similar to the first name."],
    });
    expect(
      (await call({ old_password: STRONG_PASSWORD, password: account.username, password2: account.username })).fields,
    ).toEqual({ password: ["The password is too similar to the username."] });
  });
});
