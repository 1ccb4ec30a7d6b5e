import { describe, expect, it } from "vitest";
import { RESET_REQUEST_FLOOR_MS } from "../../server/services/password-reset.js";
import { countingHasher, useTestApp } from "../helpers/app.js";
import { client, http } from "../helpers/http.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const counting = countingHasher();
const app = useTestApp({ hasher: counting.hasher });
const api = client(() => app().url);

async function account() {
  const body = newAccount();
  expect((await api.post("/api/users/register/", body)).status).toBe(201);
  return body;
}

/** The hasher's work during one request. */
async function hashingDuring(request: () => Promise<unknown>) {
  const before = { ...counting.calls };
  await request();
  return {
    hash: counting.calls.hash - before.hash,
    verify: counting.calls.verify - before.verify,
    verifyNothing: counting.calls.verifyNothing - before.verifyNothing,
  };
}

describe("input limits", () => {
  it("refuses passwords over 4096 characters with a 400, before any hashing", async () => {
    const user = await account();
    const long = "x".repeat(4097);
    const work = await hashingDuring(async () => {
      const res = await api.post("/api/token/", { username: user.username, password: long });
      expect([res.status, res.body]).toEqual([
        400,
        { password: ["Ensure this field has no more than 4096 characters."] },
      ]);
      expect((await api.post("/api/users/register/", newAccount({ password: long, password2: long }))).status).toBe(
        400,
      );
    });
    expect(work).toEqual({ hash: 0, verify: 0, verifyNothing: 0 });
    // The seed's login endpoint has no field rules: an over-long password is just wrong, unhashed.
    const otp = await hashingDuring(async () => {
      expect((await api.post("/api/login/", { username: user.username, password: long })).body).toEqual({
        message: "Invalid credentials",
      });
    });
    expect(otp.verify).toBe(0);
  });

  it("caps tRPC batches at 10 calls", async () => {
    const ten = Array.from({ length: 10 }, () => "user.me").join(",");
    const eleven = `${ten},user.me`;
    expect((await http(app().url, "GET", `/trpc/${ten}?batch=1&input={}`)).status).toBe(401);
    const res = await http(app().url, "GET", `/trpc/${eleven}?batch=1&input={}`);
    expect(res.status).toBe(400);
  });
});

describe("timing: unknown users cost what known ones do", () => {
  it("hashes once per login attempt, whether the account exists, is inactive, or the password is wrong", async () => {
    const user = await account();
    const inactive = await account();
    await app()
      .db.db.updateTable("users")
      .set({ is_active: false })
      .where("username", "=", inactive.username)
      .execute();
    for (const [username, password] of [
      [user.username, STRONG_PASSWORD],
      [user.username, "wrong-password"],
      ["nobody-at-all", "wrong-password"],
      [inactive.username, STRONG_PASSWORD],
    ] as const) {
      for (const path of ["/api/token/", "/api/login/"]) {
        const work = await hashingDuring(() => api.post(path, { username, password }));
        expect([path, username, work.verify + work.verifyNothing, work.hash]).toEqual([path, username, 1, 0]);
      }
    }
  });

  it("answers a reset request no sooner than the floor, for known and unknown emails alike", async () => {
    const user = await account();
    for (const email of [user.email, "nobody-here@example.com"]) {
      const started = performance.now();
      const res = await api.post("/api/users/password-reset/", { email });
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(RESET_REQUEST_FLOOR_MS - 1);
    }
  });
});
