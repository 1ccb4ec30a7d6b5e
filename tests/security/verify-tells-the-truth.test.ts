import { describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { client } from "../helpers/http.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// A resource server checks a token with verify: 200 only for a token that every
// other endpoint would accept too.

const app = useTestApp();
const api = client(() => app().url);
const refused = { detail: "Token is invalid or expired", code: "token_not_valid" };

async function signedIn() {
  const body = newAccount();
  const registered = await api.post("/api/users/register/", body);
  expect(registered.status).toBe(201);
  const pair = (await api.post("/api/token/", { username: body.username, password: STRONG_PASSWORD })).body as {
    access: string;
    refresh: string;
  };
  return { ...body, id: registered.body.id as number, pair };
}

const setUser = (id: number, changes: { is_active: boolean }) =>
  app().db.db.updateTable("users").set(changes).where("id", "=", id).execute();

describe("verify tells the truth", () => {
  const cases: Array<[string, (user: Awaited<ReturnType<typeof signedIn>>) => Promise<unknown>]> = [
    ["the user is deleted", (user) => app().db.db.deleteFrom("users").where("id", "=", user.id).execute()],
    ["the user is deactivated", (user) => setUser(user.id, { is_active: false })],
    [
      "the user logged out everywhere",
      (user) => api.post("/api/users/sessions/revoke-all/", {}, { token: user.pair.access }),
    ],
    ["its session was logged out", (user) => api.post("/api/token/blacklist/", { refresh: user.pair.refresh })],
    [
      "the password was changed",
      (user) =>
        api.post(
          "/api/users/change-password/",
          { old_password: STRONG_PASSWORD, password: "Another-Secret-5p", password2: "Another-Secret-5p" },
          { token: user.pair.access },
        ),
    ],
  ];

  for (const [why, revoke] of cases) {
    it(`refuses an access token when ${why}, as every other endpoint does`, async () => {
      const user = await signedIn();
      expect((await api.post("/api/token/verify/", { token: user.pair.access })).status).toBe(200);
      await revoke(user);
      const profile = await api.get("/api/users/profile/", { token: user.pair.access });
      expect(profile.status).toBe(401);
      const verified = await api.post("/api/token/verify/", { token: user.pair.access });
      expect([verified.status, verified.body]).toEqual([401, refused]);
      expect(verified.headers.get("www-authenticate")).toBe('Bearer realm="api"');
      const procedure = await appError(app().caller().auth.verify({ token: user.pair.access }));
      expect([procedure.code, procedure.message]).toEqual(["token_not_valid", "Token is invalid or expired"]);
    });
  }

  it("refuses a refresh token whose user is deactivated or deleted, as refresh does", async () => {
    const inactive = await signedIn();
    await setUser(inactive.id, { is_active: false });
    const gone = await signedIn();
    await app().db.db.deleteFrom("users").where("id", "=", gone.id).execute();
    for (const user of [inactive, gone]) {
      expect((await api.post("/api/token/refresh/", { refresh: user.pair.refresh })).status).toBe(401);
      const verified = await api.post("/api/token/verify/", { token: user.pair.refresh });
      expect([verified.status, verified.body]).toEqual([401, refused]);
    }
  });

  it("costs one query for an access token", async () => {
    const user = await signedIn();
    const counter = { statements: 0 };
    const db = app().db.db.withPlugin({
      transformQuery: ({ node }) => node,
      transformResult: async ({ result }) => {
        counter.statements += 1;
        return result;
      },
    });
    const { createCaller } = await import("../../server/routers/app.js");
    const { createContext } = await import("../../server/context.js");
    await createCaller(createContext({ ...app().app.deps, db })).auth.verify({ token: user.pair.access });
    expect(counter.statements).toBe(1);
  });
});
