import { describe, expect, it } from "vitest";
import { routes } from "../../server/http/rest/routes.js";
import { useTestApp } from "../helpers/app.js";
import { client } from "../helpers/http.js";
import { accessClaims, mint } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const app = useTestApp();
const api = client(() => app().url);
const PROFILE = "/api/users/profile/";

async function account() {
  const body = newAccount();
  const reg = await api.post("/api/users/register/", body);
  const pair = await api.post("/api/token/", { username: body.username, password: STRONG_PASSWORD });
  return {
    id: reg.body.id as number,
    username: body.username,
    access: pair.body.access as string,
    refresh: pair.body.refresh as string,
  };
}

const tokenInvalid = (message: string) => ({
  detail: "Given token not valid for any token type",
  code: "token_not_valid",
  messages: [{ token_class: "AccessToken", token_type: "access", message }],
});

describe("GET /api/users/profile/ authentication (simplejwt's rules)", () => {
  it("answers the profile for a valid access token", async () => {
    const user = await account();
    const res = await api.get(PROFILE, { token: user.access });
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      JSON.stringify({
        id: user.id,
        username: user.username,
        email: `${user.username}@example.com`,
        first_name: "Ada",
        last_name: "Lovelace",
      }),
    );
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    const twoSpaces = await api.get(PROFILE, { headers: { authorization: `Bearer  ${user.access}` } });
    expect(twoSpaces.status).toBe(200);
  });

  it("answers 401 with WWW-Authenticate and the exact body for every header problem", async () => {
    const user = await account();
    const notProvided = { detail: "Authentication credentials were not provided." };
    const badHeader = {
      detail: "Authorization header must contain two space-delimited values",
      code: "bad_authorization_header",
    };
    const cases: Array<[string | undefined, object]> = [
      [undefined, notProvided],
      ["Basic dXNlcjpwYXNz", notProvided],
      [`bearer ${user.access}`, notProvided],
      [`JWT ${user.access}`, notProvided],
      [user.access, notProvided],
      ["Bearer", badHeader],
      ["Bearer ", badHeader],
      ["Bearer a b", badHeader],
      ["Bearer garbage", tokenInvalid("Token is invalid or expired")],
    ];
    for (const [authorization, body] of cases) {
      const res = await api.get(PROFILE, { headers: authorization === undefined ? {} : { authorization } });
      expect([authorization, res.status, res.body]).toEqual([authorization, 401, body]);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    }
  });

  it("answers token_not_valid with simplejwt's message for each kind of bad token", async () => {
    const user = await account();
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, object]> = [
      [await mint(accessClaims(user.id, { exp: now - 1 })), tokenInvalid("Token is invalid or expired")],
      [await mint(accessClaims(user.id), { alg: "none" }), tokenInvalid("Token is invalid or expired")],
      [await mint(accessClaims(user.id), { alg: "HS512" }), tokenInvalid("Token is invalid or expired")],
      [
        await mint(accessClaims(user.id), { key: "some-other-key-some-other-key-123" }),
        tokenInvalid("Token is invalid or expired"),
      ],
      [await mint(accessClaims(user.id, { nbf: now + 60 })), tokenInvalid("Token is invalid or expired")],
      [user.refresh, tokenInvalid("Token has wrong type")],
      [await mint(accessClaims(user.id, { token_type: "weird" })), tokenInvalid("Token has wrong type")],
      [await mint(accessClaims(user.id, { token_type: undefined })), tokenInvalid("Token has no type")],
      [await mint(accessClaims(user.id, { jti: undefined })), tokenInvalid("Token has no id")],
      [await mint(accessClaims(user.id, { exp: undefined })), tokenInvalid("Token has no 'exp' claim")],
      [await mint(accessClaims(user.id, { iat: undefined })), tokenInvalid("Token has no 'iat' claim")],
      [await mint(accessClaims(user.id, { exp: "soon" })), tokenInvalid("Token is invalid or expired")],
      [
        await mint(accessClaims(user.id, { user_id: undefined })),
        { detail: "Token contained no recognizable user identification", code: "token_not_valid" },
      ],
      [
        await mint(accessClaims(user.id, { user_id: "abc" })),
        { detail: "Token contained no recognizable user identification", code: "token_not_valid" },
      ],
      [
        await mint(accessClaims(user.id, { user_id: [user.id] })),
        { detail: "Token contained no recognizable user identification", code: "token_not_valid" },
      ],
    ];
    for (const [token, body] of cases) {
      const res = await api.get(PROFILE, { token });
      expect([token.slice(-10), res.status, res.body]).toEqual([token.slice(-10), 401, body]);
    }
  });

  it("reads user_id like simplejwt: numbers and numeric strings; unknown ids are user_not_found", async () => {
    const user = await account();
    for (const userId of [user.id, String(user.id), ` ${user.id}`, user.id + 0.0, user.id + 0.5]) {
      const res = await api.get(PROFILE, { token: await mint(accessClaims(userId)) });
      expect([userId, res.status]).toEqual([userId, 200]);
    }
    // simplejwt takes any JSON value as the jti.
    expect((await api.get(PROFILE, { token: await mint(accessClaims(user.id, { jti: 12345 })) })).status).toBe(200);
    const notFound = { detail: "User not found", code: "user_not_found" };
    for (const userId of [null, false, -1, 0, 0.5, 999_999_999, 9_007_199_254_740_991, 1e300]) {
      const res = await api.get(PROFILE, { token: await mint(accessClaims(userId)) });
      expect([userId, res.status, res.body]).toEqual([userId, 401, notFound]);
    }
  });

  it("answers user_not_found for a deleted user and user_inactive for a deactivated one, until reactivated", async () => {
    const user = await account();
    const users = app().db.db.updateTable("users").where("id", "=", user.id);
    await users.set({ is_active: false }).execute();
    const inactive = await api.get(PROFILE, { token: user.access });
    expect([inactive.status, inactive.body]).toEqual([401, { detail: "User is inactive", code: "user_inactive" }]);
    await users.set({ is_active: true }).execute();
    expect((await api.get(PROFILE, { token: user.access })).status).toBe(200);
    await app().db.db.deleteFrom("users").where("id", "=", user.id).execute();
    const gone = await api.get(PROFILE, { token: user.access });
    expect([gone.status, gone.body]).toEqual([401, { detail: "User not found", code: "user_not_found" }]);
  });

  it("refuses a deactivated user on every protected route, with or without a valid body", async () => {
    const user = await account();
    await app().db.db.updateTable("users").set({ is_active: false }).where("id", "=", user.id).execute();
    const refusal = { detail: "User is inactive", code: "user_inactive" };
    const protectedRoutes = routes.filter((route) => route.auth === true);
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(10);
    for (const route of protectedRoutes) {
      const path = route.path.replace(/:([a-z]+)/gi, (_match, name: string) =>
        route.textParams?.includes(name) ? "0123456789abcdef01234567" : "1",
      );
      const bodies = route.method === "GET" ? [undefined] : [undefined, { title: "t", old_password: "x" }];
      for (const body of bodies) {
        const res = await api.request(route.method, path, { token: user.access, body });
        expect([route.method, path, res.status, res.body]).toEqual([route.method, path, 401, refusal]);
      }
    }
  });

  it("authenticates before it checks the method, as DRF does", async () => {
    const user = await account();
    const anonymous = await api.post(PROFILE, {});
    expect([anonymous.status, anonymous.body]).toEqual([
      401,
      { detail: "Authentication credentials were not provided." },
    ]);
    const signedIn = await api.post(PROFILE, {}, { token: user.access });
    expect([signedIn.status, signedIn.body]).toEqual([405, { detail: 'Method "POST" not allowed.' }]);
    expect(signedIn.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("answers HEAD like GET without a body", async () => {
    const user = await account();
    const res = await api.request("HEAD", PROFILE, { token: user.access });
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(0);
  });
});

describe("POST /api/users/change-password/", () => {
  const CHANGE = "/api/users/change-password/";

  it("changes the password: 200 {message}; the old one stops working and sessions end", async () => {
    const user = await account();
    const res = await api.post(
      CHANGE,
      { old_password: STRONG_PASSWORD, password: "Brand-New-Secret-7", password2: "Brand-New-Secret-7" },
      { token: user.access },
    );
    expect([res.status, res.text]).toEqual([200, '{"message":"Password updated successfully."}']);
    expect((await api.post("/api/token/", { username: user.username, password: STRONG_PASSWORD })).status).toBe(401);
    expect((await api.post("/api/token/", { username: user.username, password: "Brand-New-Secret-7" })).status).toBe(
      200,
    );
    expect((await api.post("/api/token/refresh/", { refresh: user.refresh })).status).toBe(401);
  });

  it("answers field errors in DRF's order and 401 without a token", async () => {
    const user = await account();
    const post = (body: object) => api.post(CHANGE, body, { token: user.access });
    expect((await post({})).body).toEqual({
      old_password: ["This field is required."],
      password: ["This field is required."],
      password2: ["This field is required."],
    });
    expect((await post({ old_password: "nope", password: "a", password2: "b" })).body).toEqual({
      old_password: ["Old password is not correct."],
    });
    expect(
      (await post({ old_password: STRONG_PASSWORD, password: "Brand-New-Secret-7", password2: "x" })).body,
    ).toEqual({
      password: ["Password fields didn't match."],
    });
    expect((await post({ old_password: STRONG_PASSWORD, password: "ada", password2: "ada" })).body).toEqual({
      password: [
        "The password is too similar to the first name.",
        "This password is too short. It must contain at least 8 characters.",
      ],
    });
    const anonymous = await api.post(CHANGE, { old_password: "x", password: "y", password2: "y" });
    expect(anonymous.status).toBe(401);
  });
});
