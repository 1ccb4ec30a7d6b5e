import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { recordImport } from "../../server/db/repositories/django-imports.js";
import { findUserByUsername } from "../../server/db/repositories/users.js";
import { importedFamilyId } from "../../server/services/imported-sessions.js";
import { startSession } from "../../server/services/sessions.js";
import { deleteAccount } from "../../server/services/users.js";
import { useTestApp } from "../helpers/app.js";
import { appError } from "../helpers/errors.js";
import { client } from "../helpers/http.js";
import { mint } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD, signUp } from "../helpers/users.js";

// What is left of an account, or of a session, once it is deleted: nothing that answers 200, and no 500.

const app = useTestApp();
const api = client(() => app().url);
const someone = { ip: "203.0.113.7", userAgent: "deleted-accounts-test" };

/** An account registered over HTTP, its user row, and an import finished (so its Django tokens can be adopted). */
async function registeredAfterImport() {
  const account = newAccount();
  expect((await api.post("/api/users/register/", account)).status).toBe(201);
  const user = await findUserByUsername(app().db.db, account.username);
  if (!user) throw new Error("no user");
  await recordImport(app().db.db, { source: "test", startedAt: new Date(), summary: {} });
  return { account, user };
}

/** A Django refresh token of `userId`, issued before the import. */
function djangoRefresh(userId: number, jti: string) {
  const iat = Math.floor(Date.now() / 1000) - 60;
  return mint({ token_type: "refresh", iat, exp: iat + 86_400, jti, user_id: userId });
}

/** The statuses of `requests`, all in flight while the account is deleted; the deletion must happen. */
async function racingDeletion(username: string, requests: Array<Promise<{ status: number }>>) {
  const deletion = deleteAccount(app().app.deps, { username }, { by: "test" });
  const statuses = (await Promise.all(requests)).map((res) => res.status);
  expect(await deletion).toBeDefined();
  return statuses;
}

describe("a login whose account is deleted meanwhile", () => {
  it("ends in the one refusal for a wrong login (401), not a failed insert", async () => {
    const { account } = await signUp(app());
    const user = await findUserByUsername(app().db.db, account.username);
    if (!user) throw new Error("no user");
    // The password was checked; the account goes before the session is written.
    await deleteAccount(app().app.deps, { username: account.username }, { by: "test" });
    const error = await appError(startSession(app().app.deps, user, someone, "token", ["pwd"]));
    expect(error.code).toBe("authentication_failed");
    const sessions = await app()
      .db.db.selectFrom("refresh_families")
      .select("id")
      .where("user_id", "=", user.id)
      .execute();
    expect(sessions).toEqual([]);
  });

  it("of 10 logins racing the deletion over HTTP (the account's whole pool), each gets 200 or 401", async () => {
    const account = newAccount();
    expect((await api.post("/api/users/register/", account)).status).toBe(201);
    const logins = Array.from({ length: 10 }, () =>
      api.post("/api/token/", { username: account.username, password: STRONG_PASSWORD }),
    );
    const statuses = await racingDeletion(account.username, logins);
    expect(statuses.filter((status) => status !== 200 && status !== 401)).toEqual([]);
  });
});

describe("Django tokens adopted while their account is deleted", () => {
  it("of 40 racing the deletion, each gets 200 or 401", async () => {
    const { account, user } = await registeredAfterImport();
    const tokens = await Promise.all(
      Array.from({ length: 40 }, (_, i) => djangoRefresh(user.id, `race${String(i).padStart(28, "0")}`)),
    );
    const statuses = await racingDeletion(
      account.username,
      tokens.map((refresh) => api.post("/api/token/refresh/", { refresh })),
    );
    expect(statuses.filter((status) => status !== 200 && status !== 401)).toEqual([]);
  });
});

describe("a token whose session row is gone", () => {
  it("stays dead, even when the Django token it was rotated from is presented again", async () => {
    const { user } = await registeredAfterImport();
    const jti = "d".repeat(32);
    const django = await djangoRefresh(user.id, jti);
    const adopted = await api.post("/api/token/refresh/", { refresh: django });
    expect(adopted.status).toBe(200);
    const successor = adopted.body.refresh as string;
    // The session's row goes and its tokens stay (an operator's delete: no key cascades to them).
    await sql`delete from refresh_families where id = ${importedFamilyId(jti)}`.execute(app().db.db);
    expect((await api.post("/api/token/verify/", { token: successor })).status).toBe(401);
    // The Django token again: refused, and its session is not made anew for the successor to use.
    expect((await api.post("/api/token/refresh/", { refresh: django })).status).toBe(401);
    expect((await api.post("/api/token/verify/", { token: successor })).status).toBe(401);
    expect((await api.post("/api/token/refresh/", { refresh: successor })).status).toBe(401);
  });
});
