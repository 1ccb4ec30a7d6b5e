import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { decodeHeader, decodePayload, mint } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD, signUp } from "../helpers/users.js";

// simplejwt's rotation exactly: a rotated token presented again is reuse at once
// (the reuse interval, on by default, is tests/security/refresh-reuse-interval.test.ts).
const app = useTestApp({ env: { REFRESH_TOKEN_REUSE_INTERVAL: "0" } });

describe("auth.register", () => {
  it("creates the account with an Argon2id hash and answers its public fields", async () => {
    const account = newAccount({ first_name: "  Grace ", email: "Mixed.Case@Example.COM" });
    const user = await app()
      .caller()
      .auth.register(account as never);
    expect(user).toEqual({
      id: expect.any(Number),
      username: account.username,
      email: "Mixed.Case@Example.COM",
      first_name: "Grace",
      last_name: "Lovelace",
    });
    const row = await app().db.db.selectFrom("users").selectAll().where("id", "=", user.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(row.password_hash).not.toContain(STRONG_PASSWORD);
    expect(row).toMatchObject({ is_active: true, is_staff: false, is_superuser: false, last_login: null });
  });

  it("reports a taken username (case-sensitive) and a taken email (ignoring case) together", async () => {
    const first = await signUp(app());
    const error = await appError(
      app()
        .caller()
        .auth.register(
          newAccount({ username: first.account.username, email: first.account.email.toUpperCase() }) as never,
        ),
    );
    expect(error.code).toBe("validation_failed");
    expect(error.fields).toEqual({
      username: ["A user with that username already exists."],
      email: ["A user with that email already exists."],
    });
    const upper = await app()
      .caller()
      .auth.register(newAccount({ username: first.account.username.toUpperCase() }) as never);
    expect(upper.username).toBe(first.account.username.toUpperCase());
  });

  it("keeps one account when the same username is registered concurrently", async () => {
    const account = newAccount();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        app()
          .caller()
          .auth.register({ ...account, email: `race${i}_${account.email}` } as never),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const { count } = await app()
      .db.db.selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("username", "=", account.username)
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(1);
  });

  it("applies the password policy with the new account's attributes", async () => {
    const account = newAccount({ username: "margaret.hamilton", password: "hamiltonm", password2: "hamiltonm" });
    const error = await appError(
      app()
        .caller()
        .auth.register(account as never),
    );
    expect(error.fields).toEqual({ password: ["The password is too similar to the username."] });
  });
});

describe("auth.obtainToken", () => {
  it("issues a simplejwt-shaped pair, records the refresh jti and updates last_login", async () => {
    const { account, user } = await signUp(app());
    const before = Date.now();
    const pair = await app().caller().auth.obtainToken({ username: account.username, password: STRONG_PASSWORD });
    expect(Object.keys(pair)).toEqual(["refresh", "access"]);
    expect(decodeHeader(pair.access)).toEqual({ alg: "HS256", typ: "JWT" });
    const access = decodePayload(pair.access);
    const refresh = decodePayload(pair.refresh);
    // simplejwt's claims in its order, then RFC 8176 `amr` and `auth_time` (extra claims simplejwt ignores).
    expect(Object.keys(access)).toEqual(["token_type", "exp", "iat", "jti", "user_id", "amr", "auth_time"]);
    expect(access.amr).toEqual(["pwd"]);
    expect(access.auth_time).toBe(access.iat);
    expect(Object.keys(refresh)).toEqual(["token_type", "exp", "iat", "jti", "user_id"]);
    expect(access).toMatchObject({ token_type: "access", user_id: user.id });
    expect(refresh).toMatchObject({ token_type: "refresh", user_id: user.id });
    expect((access.exp as number) - (access.iat as number)).toBe(300);
    expect((refresh.exp as number) - (refresh.iat as number)).toBe(86400);
    expect(access.jti).toMatch(/^[0-9a-f]{32,40}$/);
    // Like an access token's, a refresh token's jti begins with its session's id.
    expect(refresh.jti).toMatch(/^[0-9a-f]{40}$/);
    expect((refresh.jti as string).slice(0, 24)).toBe((access.jti as string).slice(0, 24));
    expect(access.jti).not.toBe(refresh.jti);

    const rows = await app().db.db.selectFrom("refresh_tokens").selectAll().where("user_id", "=", user.id).execute();
    expect(rows.map((row) => row.jti)).toContain(refresh.jti);
    expect(JSON.stringify(rows)).not.toContain(pair.refresh);
    const row = rows.find((r) => r.jti === refresh.jti);
    expect(row?.expires_at.getTime()).toBe((refresh.exp as number) * 1000);

    const { last_login } = await app()
      .db.db.selectFrom("users")
      .select("last_login")
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(last_login?.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it("answers one indistinguishable error for a wrong password, an unknown user and an inactive user", async () => {
    const { account, user } = await signUp(app());
    const wrong = await appError(
      app().caller().auth.obtainToken({ username: account.username, password: "nope-nope" }),
    );
    const unknown = await appError(app().caller().auth.obtainToken({ username: "ghost", password: STRONG_PASSWORD }));
    await app().db.db.updateTable("users").set({ is_active: false }).where("id", "=", user.id).execute();
    const inactive = await appError(
      app().caller().auth.obtainToken({ username: account.username, password: STRONG_PASSWORD }),
    );
    for (const error of [wrong, unknown, inactive]) {
      expect(error.code).toBe("authentication_failed");
      expect(error.message).toBe("No active account found with the given credentials");
    }
  });
});

describe("auth.refresh", () => {
  it("rotates: a new pair, the old refresh token revoked and refused afterwards", async () => {
    const { tokens } = await signUp(app());
    const next = await app().caller().auth.refresh({ refresh: tokens.refresh });
    expect(Object.keys(next)).toEqual(["access", "refresh"]);
    expect(next.refresh).not.toBe(tokens.refresh);
    const oldJti = decodePayload(tokens.refresh).jti as string;
    const old = await app()
      .db.db.selectFrom("refresh_tokens")
      .select("revoked_at")
      .where("jti", "=", oldJti)
      .executeTakeFirstOrThrow();
    expect(old.revoked_at).toBeInstanceOf(Date);

    // The new token works, once.
    const third = await app()
      .caller()
      .auth.refresh({ refresh: next.refresh as string });
    expect(third.refresh).toBeTruthy();
  });

  it("lets exactly one of many concurrent refreshes of one token succeed", async () => {
    const { tokens } = await signUp(app());
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => app().caller().auth.refresh({ refresh: tokens.refresh })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("refuses access tokens, unknown tokens and inactive users", async () => {
    const { tokens, user } = await signUp(app());
    const wrongType = await appError(app().caller().auth.refresh({ refresh: tokens.access }));
    expect(wrongType.message).toBe("Token has wrong type");

    const minted = await mint({
      token_type: "refresh",
      exp: 4102444800,
      iat: 1700000000,
      jti: "f".repeat(32),
      user_id: user.id,
    });
    const neverIssued = await appError(app().caller().auth.refresh({ refresh: minted }));
    expect([neverIssued.code, neverIssued.message]).toEqual(["token_not_valid", "Token is invalid or expired"]);

    await app().db.db.updateTable("users").set({ is_active: false }).where("id", "=", user.id).execute();
    const inactive = await appError(app().caller().auth.refresh({ refresh: tokens.refresh }));
    expect([inactive.code, inactive.message]).toEqual(["user_inactive", "User is inactive"]);
    // Refused, not consumed: the token is still outstanding.
    const row = await app()
      .db.db.selectFrom("refresh_tokens")
      .select("revoked_at")
      .where("jti", "=", decodePayload(tokens.refresh).jti as string)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeNull();
  });

  it("refuses a deleted user's refresh token (their rows go with them)", async () => {
    const { tokens, user } = await signUp(app());
    await app().db.db.deleteFrom("users").where("id", "=", user.id).execute();
    const error = await appError(app().caller().auth.refresh({ refresh: tokens.refresh }));
    expect(error.code).toBe("token_not_valid");
  });
});

describe("auth.verify and auth.blacklist", () => {
  it("verifies access and refresh tokens, and reports a revoked refresh token as a non-field error", async () => {
    const { tokens } = await signUp(app());
    await expect(app().caller().auth.verify({ token: tokens.access })).resolves.toEqual({});
    await expect(app().caller().auth.verify({ token: tokens.refresh })).resolves.toEqual({});
    await expect(app().caller().auth.blacklist({ refresh: tokens.refresh })).resolves.toEqual({});
    const revoked = await appError(app().caller().auth.verify({ token: tokens.refresh }));
    expect(revoked.code).toBe("validation_failed");
    expect(revoked.fields).toEqual({ non_field_errors: ["Token is blacklisted"] });
    const again = await appError(app().caller().auth.blacklist({ refresh: tokens.refresh }));
    expect([again.code, again.message]).toEqual(["token_not_valid", "Token is blacklisted"]);
    const access = await appError(app().caller().auth.blacklist({ refresh: tokens.access }));
    expect(access.message).toBe("Token has wrong type");
  });

  it("keeps the raw token out of the database", async () => {
    const { tokens } = await signUp(app());
    const { rows } = await sql<{ dump: string }>`select row_to_json(t)::text as dump from refresh_tokens t`.execute(
      app().db.db,
    );
    for (const row of rows) expect(row.dump).not.toContain(tokens.refresh.split(".")[2]);
  });
});

describe("refresh-token families (RFC 9700 §4.14)", () => {
  const state = (jti: string) =>
    app()
      .db.db.selectFrom("refresh_tokens")
      .select(["revoked_at", "revoke_reason", "family_id"])
      .where("jti", "=", jti)
      .executeTakeFirstOrThrow();

  it("keeps every rotation in its family, and presenting a rotated token revokes the family, newest included", async () => {
    const { tokens, user } = await signUp(app());
    const second = await app().caller().auth.refresh({ refresh: tokens.refresh });
    const third = await app()
      .caller()
      .auth.refresh({ refresh: second.refresh as string });
    const family = (await state(decodePayload(tokens.refresh).jti as string)).family_id;
    expect((await state(decodePayload(third.refresh as string).jti as string)).family_id).toBe(family);

    // A thief replays the first token.
    const replay = await appError(app().caller().auth.refresh({ refresh: tokens.refresh }));
    expect([replay.code, replay.message]).toEqual(["token_not_valid", "Token is blacklisted"]);
    const newest = await appError(
      app()
        .caller()
        .auth.refresh({ refresh: third.refresh as string }),
    );
    expect(newest.code).toBe("token_not_valid");
    expect(await state(decodePayload(third.refresh as string).jti as string)).toMatchObject({
      revoke_reason: "reuse_detected",
    });
    const events = await app()
      .db.db.selectFrom("auth_events")
      .select(["event", "detail"])
      .where("user_id", "=", user.id)
      .where("event", "=", "refresh_reuse_detected")
      .execute();
    expect(events).toHaveLength(1);
    // Another login, another family: untouched.
    const other = await app().caller().auth.obtainToken({ username: user.username, password: STRONG_PASSWORD });
    await expect(app().caller().auth.refresh({ refresh: other.refresh })).resolves.toBeTruthy();
  });

  it("consumes a token atomically: of 20 concurrent refreshes exactly one succeeds", async () => {
    const { tokens } = await signUp(app());
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => app().caller().auth.refresh({ refresh: tokens.refresh })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("ends a family at its absolute lifetime, whatever the rotations", async () => {
    const { tokens } = await signUp(app());
    const family = (await state(decodePayload(tokens.refresh).jti as string)).family_id;
    await app()
      .db.db.updateTable("refresh_families")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", family)
      .execute();
    const error = await appError(app().caller().auth.refresh({ refresh: tokens.refresh }));
    expect([error.code, error.message]).toEqual(["token_not_valid", "Token is invalid or expired"]);
  });

  it("never issues a refresh token past its family's end", async () => {
    const { tokens } = await signUp(app());
    const family = (await state(decodePayload(tokens.refresh).jti as string)).family_id;
    const end = new Date(Date.now() + 60_000);
    await app().db.db.updateTable("refresh_families").set({ expires_at: end }).where("id", "=", family).execute();
    const next = await app().caller().auth.refresh({ refresh: tokens.refresh });
    const row = await app()
      .db.db.selectFrom("refresh_tokens")
      .select("expires_at")
      .where("jti", "=", decodePayload(next.refresh as string).jti as string)
      .executeTakeFirstOrThrow();
    expect(row.expires_at.getTime()).toBeLessThanOrEqual(end.getTime());
  });
});
