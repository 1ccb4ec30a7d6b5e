import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { consoleClient, createStaff, csrfOf, signInOverHttp } from "../helpers/admin.js";
import { countingHasher, startTestApp, useTestApp } from "../helpers/app.js";
import { signUp } from "../helpers/users.js";

// The console over plain HTTP: its cookies, its CSRF and Origin checks, who
// may sign in, and the sign-in's throttle under a burst of parallel attempts.

const { hasher, calls } = countingHasher();
const app = useTestApp({ hasher });

describe("the admin console over HTTP", () => {
  it("sends anonymous visitors to the sign-in form, which sets only a pre-session cookie", async () => {
    const console = consoleClient(app().url);
    const users = await console.get("/admin/users");
    expect(users.response.status).toBe(303);
    expect(users.response.headers.get("location")).toBe("/admin/login");
    const form = await console.get("/admin/login");
    expect(form.response.status).toBe(200);
    expect(form.response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect([...console.jar.keys()]).toEqual(["__Secure-admin_presession"]);
  });

  it("signs staff in with a cookie that is HttpOnly, Secure, SameSite=Strict, scoped to /admin/, stored as a hash", async () => {
    const staff = await createStaff(app());
    const { console, answer } = await signInOverHttp(app().url, staff.username, staff.password);
    expect(answer.response.status).toBe(303);
    expect(answer.response.headers.get("location")).toBe("/admin/users");
    const line = answer.response.headers.getSetCookie().find((cookie) => cookie.startsWith("__Secure-admin_session="));
    expect(line).toMatch(/Path=\/admin\/; Max-Age=28800; HttpOnly; Secure; SameSite=Strict$/);
    const token = console.jar.get("__Secure-admin_session") as string;
    const rows = await app()
      .db.db.selectFrom("admin_sessions")
      .select(["token_hash", "awaiting_second_factor"])
      .where("user_id", "=", staff.user.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]?.token_hash as Uint8Array)).toEqual(createHash("sha256").update(token).digest());
    expect((await console.get("/admin/users")).response.status).toBe(200);
  });

  it("refuses a form without its CSRF token, with another session's token, or from another origin (403)", async () => {
    const staff = await createStaff(app());
    const target = await signUp(app());
    const { console } = await signInOverHttp(app().url, staff.username, staff.password);
    const other = (await signInOverHttp(app().url, staff.username, staff.password)).console;
    const otherToken = csrfOf((await other.get("/admin/users")).text);
    const path = `/admin/users/${target.user.id}/deactivate`;
    expect((await console.post(path, {})).response.status).toBe(403);
    expect((await console.post(path, { csrf: otherToken })).response.status).toBe(403);
    const token = csrfOf((await console.get(`/admin/users/${target.user.id}`)).text);
    const foreign = await console.post(path, { csrf: token }, { origin: "https://evil.example" });
    expect(foreign.response.status).toBe(403);
    const user = await app()
      .db.db.selectFrom("users")
      .select("is_active")
      .where("id", "=", target.user.id)
      .executeTakeFirst();
    expect(user?.is_active).toBe(true);
    // The same form with its token goes through.
    expect((await console.post(path, { csrf: token })).response.status).toBe(303);
  });

  it("refuses accounts that are not staff with the same answer as a wrong password, and audits it", async () => {
    const member = await signUp(app());
    const notStaff = await signInOverHttp(app().url, member.account.username, member.account.password);
    const wrong = await signInOverHttp(app().url, member.account.username, "not-the-password");
    expect(notStaff.answer.response.status).toBe(401);
    expect(wrong.answer.response.status).toBe(401);
    const message = (text: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(text)?.[1];
    expect(message(notStaff.answer.text)).toBe(message(wrong.answer.text));
    expect(notStaff.console.jar.has("__Secure-admin_session")).toBe(false);
    const refused = await app()
      .db.db.selectFrom("auth_events")
      .select("detail")
      .where("user_id", "=", member.user.id)
      .where("event", "=", "login_failed")
      .execute();
    expect(refused.map((row) => row.detail)).toContainEqual({ path: "admin", reason: "not_staff" });
  });

  it("counts sign-in attempts before checking them: of 30 parallel guesses at most the limit are hashed", async () => {
    const staff = await createStaff(app());
    const console = consoleClient(app().url);
    const csrf = csrfOf((await console.get("/admin/login")).text);
    const before = calls.verify + calls.verifyNothing;
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        console.post("/admin/login", { csrf, username: staff.username, password: `wrong-${index}` }),
      ),
    );
    const statuses = answers.map((answer) => answer.response.status);
    expect(calls.verify + calls.verifyNothing - before).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(20);
    const throttled = answers.find((answer) => answer.response.status === 429);
    expect(Number(throttled?.response.headers.get("retry-after"))).toBeGreaterThan(0);
    // The right password is refused too while the account's budget is spent.
    const late = await console.post("/admin/login", { csrf, username: staff.username, password: staff.password });
    expect(late.response.status).toBe(429);
  });

  it("lets only superusers change the staff flag", async () => {
    const plain = await createStaff(app(), { superuser: false });
    const target = await signUp(app());
    const { console } = await signInOverHttp(app().url, plain.username, plain.password);
    const page = await console.get(`/admin/users/${target.user.id}`);
    expect(page.text).not.toContain("Make staff");
    const answer = await console.post(`/admin/users/${target.user.id}/staff`, { csrf: csrfOf(page.text) });
    expect(answer.response.status).toBe(403);
  });

  it("does not let staff deactivate, unstaff or delete themselves: the console never locks its own user out", async () => {
    const staff = await createStaff(app());
    const { console } = await signInOverHttp(app().url, staff.username, staff.password);
    const page = await console.get(`/admin/users/${staff.user.id}`);
    for (const action of ["deactivate", "unstaff", "unsuperuser"]) {
      const answer = await console.post(`/admin/users/${staff.user.id}/${action}`, { csrf: csrfOf(page.text) });
      expect(answer.response.status, action).toBe(400);
    }
    const deletion = await console.post(`/admin/users/${staff.user.id}/delete`, {
      csrf: csrfOf(page.text),
      confirm: "yes",
    });
    expect(deletion.response.status).toBe(400);
    expect((await console.get("/admin/users")).response.status).toBe(200);
  });

  it("answers bad filters with 400 and unknown users with 404, never 500", async () => {
    const staff = await createStaff(app());
    const { console } = await signInOverHttp(app().url, staff.username, staff.password);
    for (const query of ["active=maybe", "joined_from=yesterday", "order=password", "page=0", "q=%00"]) {
      expect((await console.get(`/admin/users?${query}`)).response.status, query).toBe(400);
    }
    expect((await console.get("/admin/audit?event=nope")).response.status).toBe(400);
    expect((await console.get("/admin/users/999999")).response.status).toBe(404);
  });

  it("is not there with ADMIN_CONSOLE=false: /admin/ is the API's 404", async () => {
    const off = await startTestApp({ ADMIN_CONSOLE: "false" });
    try {
      const answer = await fetch(`${off.url}/admin/login`, { redirect: "manual" });
      expect(answer.status).toBe(404);
      expect(await answer.json()).toEqual({ detail: "Not found." });
    } finally {
      await off.app.stop();
      await off.db.close();
    }
  });
});
