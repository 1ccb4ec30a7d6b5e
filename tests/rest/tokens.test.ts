import { describe, expect, it } from "vitest";
import { TEST_SIGNING_KEY, useTestApp } from "../helpers/app.js";
import { client } from "../helpers/http.js";
import { decodePayload, mint } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// simplejwt's behaviour exactly: a rotated token presented again is refused at once
// (the reuse interval, on by default, is tests/security/refresh-reuse-interval.test.ts).
const app = useTestApp({ env: { REFRESH_TOKEN_REUSE_INTERVAL: "0" } });
const api = client(() => app().url);
const WWW_AUTHENTICATE = 'Bearer realm="api"';

async function registered(overrides: Record<string, unknown> = {}) {
  const account = newAccount(overrides);
  const res = await api.post("/api/users/register/", account);
  expect(res.status, res.text).toBe(201);
  return { account, id: res.body.id as number };
}

async function login(username: string, password = STRONG_PASSWORD) {
  const res = await api.post("/api/token/", { username, password });
  expect(res.status, res.text).toBe(200);
  return res.body as { refresh: string; access: string };
}

const invalid = (detail: string) => ({ detail, code: "token_not_valid" });

describe("POST /api/token/", () => {
  it("answers {refresh, access}, refresh first, for the right password", async () => {
    const { account, id } = await registered();
    const res = await api.post("/api/token/", { username: account.username, password: STRONG_PASSWORD });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["refresh", "access"]);
    expect(decodePayload(res.body.access)).toMatchObject({ token_type: "access", user_id: id });
  });

  it("trims the password like DRF does", async () => {
    const { account } = await registered({ password: "  Pad!Str0ng!Pass  ", password2: "Pad!Str0ng!Pass" });
    await login(account.username, "Pad!Str0ng!Pass");
    await login(account.username, " Pad!Str0ng!Pass\t");
  });

  it("answers 401 {detail} with WWW-Authenticate, the same for every wrong credential", async () => {
    const { account } = await registered();
    const expected = { detail: "No active account found with the given credentials" };
    for (const body of [
      { username: account.username, password: "wrong-password" },
      { username: "nobody-at-all", password: STRONG_PASSWORD },
      { username: account.username.toUpperCase(), password: STRONG_PASSWORD },
      { username: account.email, password: STRONG_PASSWORD },
      { username: account.username, password: 12345678 },
    ]) {
      const res = await api.post("/api/token/", body);
      expect([res.status, res.body]).toEqual([401, expected]);
      expect(res.headers.get("www-authenticate")).toBe(WWW_AUTHENTICATE);
    }
  });

  it("answers field errors for missing, blank and mistyped keys", async () => {
    expect((await api.post("/api/token/", {})).body).toEqual({
      username: ["This field is required."],
      password: ["This field is required."],
    });
    expect((await api.post("/api/token/", { username: "", password: " " })).body).toEqual({
      username: ["This field may not be blank."],
      password: ["This field may not be blank."],
    });
    expect((await api.post("/api/token/", { username: null, password: [] })).body).toEqual({
      username: ["This field may not be null."],
      password: ["Not a valid string."],
    });
    expect((await api.get("/api/token/")).status).toBe(405);
  });
});

describe("POST /api/token/refresh/", () => {
  it("rotates: {access, refresh}, a fresh expiry, and the old token refused as blacklisted", async () => {
    const { account } = await registered();
    const pair = await login(account.username);
    const res = await api.post("/api/token/refresh/", { refresh: `  ${pair.refresh}  ` });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["access", "refresh"]);
    const next = decodePayload(res.body.refresh);
    expect((next.exp as number) - (next.iat as number)).toBe(86400);
    expect(next.jti).not.toBe(decodePayload(pair.refresh).jti);

    const reuse = await api.post("/api/token/refresh/", { refresh: pair.refresh });
    expect([reuse.status, reuse.body]).toEqual([401, invalid("Token is blacklisted")]);
    expect(reuse.headers.get("www-authenticate")).toBe(WWW_AUTHENTICATE);
  });

  it("answers simplejwt's 401s for tokens that are not refresh tokens of ours", async () => {
    const { account, id } = await registered();
    const pair = await login(account.username);
    const now = Math.floor(Date.now() / 1000);
    const refreshClaims = { token_type: "refresh", exp: now + 600, iat: now, jti: "a".repeat(32), user_id: id };
    const cases: Array<[unknown, object]> = [
      ["garbage", invalid("Token is invalid or expired")],
      ["a.b.c", invalid("Token is invalid or expired")],
      [`Bearer ${pair.refresh}`, invalid("Token is invalid or expired")],
      [pair.access, invalid("Token has wrong type")],
      [await mint({ ...refreshClaims, exp: now - 10 }), invalid("Token is invalid or expired")],
      [
        await mint(refreshClaims, { key: "another-key-another-key-another-key" }),
        invalid("Token is invalid or expired"),
      ],
      [await mint(refreshClaims, { alg: "none" }), invalid("Token is invalid or expired")],
      [await mint(refreshClaims, { alg: "HS512" }), invalid("Token is invalid or expired")],
      [await mint({ ...refreshClaims, token_type: undefined }), invalid("Token has no type")],
      [await mint({ ...refreshClaims, exp: undefined }), invalid("Token has no 'exp' claim")],
      [await mint({ ...refreshClaims, jti: undefined }), invalid("Token has no id")],
      [await mint({ ...refreshClaims, exp: "tomorrow" }), invalid("Token is invalid or expired")],
      [await mint(refreshClaims), invalid("Token is invalid or expired")],
    ];
    for (const [refresh, body] of cases) {
      const res = await api.post("/api/token/refresh/", { refresh });
      expect([String(refresh).slice(0, 40), res.status, res.body]).toEqual([String(refresh).slice(0, 40), 401, body]);
    }
  });

  it("answers field errors for a missing or blank token", async () => {
    expect((await api.post("/api/token/refresh/", {})).body).toEqual({ refresh: ["This field is required."] });
    expect((await api.post("/api/token/refresh/", { refresh: " " })).body).toEqual({
      refresh: ["This field may not be blank."],
    });
    expect((await api.post("/api/token/refresh/", { refresh: { a: 1 } })).body).toEqual({
      refresh: ["Not a valid string."],
    });
  });

  it("refuses a deactivated user's refresh token with user_inactive", async () => {
    const { account } = await registered();
    const pair = await login(account.username);
    await app().db.db.updateTable("users").set({ is_active: false }).where("username", "=", account.username).execute();
    const res = await api.post("/api/token/refresh/", { refresh: pair.refresh });
    expect([res.status, res.body]).toEqual([401, { detail: "User is inactive", code: "user_inactive" }]);
  });
});

describe("POST /api/token/verify/", () => {
  it("answers {} for valid access and refresh tokens, and 400 non_field_errors for a revoked refresh token", async () => {
    const { account } = await registered();
    const pair = await login(account.username);
    for (const token of [pair.access, pair.refresh]) {
      const res = await api.post("/api/token/verify/", { token });
      expect([res.status, res.text]).toEqual([200, "{}"]);
    }
    expect((await api.post("/api/token/blacklist/", { refresh: pair.refresh })).status).toBe(200);
    const revoked = await api.post("/api/token/verify/", { token: pair.refresh });
    expect([revoked.status, revoked.body]).toEqual([400, { non_field_errors: ["Token is blacklisted"] }]);
    // Logging out ends the session, and with it the session's access tokens: verify says so.
    const access = await api.post("/api/token/verify/", { token: pair.access });
    expect([access.status, access.body]).toEqual([
      401,
      { detail: "Token is invalid or expired", code: "token_not_valid" },
    ]);
  });

  it("answers 401 token_not_valid for tokens that do not verify", async () => {
    const { account, id } = await registered();
    const pair = await login(account.username);
    const now = Math.floor(Date.now() / 1000);
    const claims = { token_type: "access", exp: now + 300, iat: now, jti: "b".repeat(32), user_id: id };
    const [head, body, signature] = pair.access.split(".");
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...decodePayload(pair.access), user_id: 1 })).toString("base64url")}.${signature}`;
    const cases: Array<[string, string]> = [
      ["garbage", "Token is invalid or expired"],
      [`${head}.${body}.${(signature ?? "").slice(0, -2)}xx`, "Token is invalid or expired"],
      [tampered, "Token is invalid or expired"],
      [await mint(claims, { alg: "none" }), "Token is invalid or expired"],
      [await mint(claims, { alg: "HS512" }), "Token is invalid or expired"],
      [await mint({ ...claims, exp: now - 1 }), "Token is invalid or expired"],
      [await mint({ ...claims, iat: now + 3600 }), "Token is invalid or expired"],
      [await mint({ ...claims, nbf: now + 3600 }), "Token is invalid or expired"],
      [await mint({ ...claims, jti: undefined }), "Token has no id"],
      [await mint({ ...claims, exp: undefined }), "Token has no 'exp' claim"],
    ];
    for (const [token, detail] of cases) {
      const res = await api.post("/api/token/verify/", { token });
      expect([token.slice(-12), res.status, res.body]).toEqual([token.slice(-12), 401, invalid(detail)]);
    }
    expect((await api.post("/api/token/verify/", {})).body).toEqual({ token: ["This field is required."] });
  });

  it("accepts an access token minted by anyone holding the key, with simplejwt's claims", async () => {
    const { id } = await registered();
    const now = Math.floor(Date.now() / 1000);
    const token = await mint(
      { token_type: "access", exp: now + 60, iat: now, jti: "c".repeat(32), user_id: id },
      { key: TEST_SIGNING_KEY },
    );
    expect((await api.post("/api/token/verify/", { token })).status).toBe(200);
    const profile = await api.get("/api/users/profile/", { token });
    expect([profile.status, profile.body.id]).toEqual([200, id]);
  });
});

describe("POST /api/token/blacklist/", () => {
  it("revokes a refresh token: {}, then 401 Token is blacklisted", async () => {
    const { account } = await registered();
    const pair = await login(account.username);
    const first = await api.post("/api/token/blacklist/", { refresh: pair.refresh });
    expect([first.status, first.text]).toEqual([200, "{}"]);
    const second = await api.post("/api/token/blacklist/", { refresh: pair.refresh });
    expect([second.status, second.body]).toEqual([401, invalid("Token is blacklisted")]);
    const refresh = await api.post("/api/token/refresh/", { refresh: pair.refresh });
    expect(refresh.status).toBe(401);
    const access = await api.post("/api/token/blacklist/", { refresh: pair.access });
    expect([access.status, access.body]).toEqual([401, invalid("Token has wrong type")]);
    expect((await api.post("/api/token/blacklist/", {})).body).toEqual({ refresh: ["This field is required."] });
  });
});
