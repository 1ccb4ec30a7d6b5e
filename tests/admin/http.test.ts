import { createHash } from "node:crypto";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { describe, expect, it } from "vitest";
import { MFA_CODE_ATTEMPTS } from "../../server/services/mfa/second-factor.js";
import { OPTIONS_PER_USER } from "../../server/services/passkeys/relying-party.js";
import { consoleClient, createStaff, csrfOf, registerPasskey, signInOverHttp } from "../helpers/admin.js";
import { countingHasher, startTestApp, useTestApp } from "../helpers/app.js";
import { currentStep, totpCode } from "../helpers/mfa.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { signUp } from "../helpers/users.js";

// The console over plain HTTP: its cookies, its CSRF and Origin checks, who
// may sign in, and the sign-in's throttle under a burst of parallel attempts.

const { hasher, calls } = countingHasher();
/** Where the software authenticator says it ran: a browser on the relying party's origin. */
const ORIGIN = "http://localhost:5173";
const app = useTestApp({ hasher, env: { WEBAUTHN_ORIGINS: ORIGIN } });

const OPTIONS = "/admin/login/second-factor/passkey/options";

/** A staff account whose only second factor is a passkey, held by a software authenticator. */
async function passkeyStaff(authenticator = new SoftAuthenticator(ORIGIN)) {
  const staff = await createStaff(app());
  await registerPasskey(app(), staff.username, (options) => authenticator.create(options));
  return { ...staff, authenticator };
}

/** Signed in with the password, at the second-factor page: what its script does, over HTTP. */
async function waitingForPasskey(staff: { username: string; password: string }) {
  const { console, answer } = await signInOverHttp(app().url, staff.username, staff.password);
  const page = await console.get("/admin/login/second-factor");
  const csrf = csrfOf(page.text);
  return {
    console,
    answer,
    page,
    async options() {
      const reply = await console.post(OPTIONS, { csrf });
      expect(reply.response.status).toBe(200);
      return JSON.parse(reply.text) as { challenge: string; allowCredentials: Array<{ id: string }> };
    },
    finish: (credential: unknown) =>
      console.post("/admin/login/second-factor/passkey", { csrf, credential: JSON.stringify(credential) }),
  };
}

const eventsOf = (userId: number, event: string) =>
  app()
    .db.db.selectFrom("auth_events")
    .select("detail")
    .where("user_id", "=", userId)
    .where("event", "=", event)
    .orderBy("id")
    .execute();

const lastLoginOf = async (userId: number) =>
  (await app().db.db.selectFrom("users").select("last_login").where("id", "=", userId).executeTakeFirstOrThrow())
    .last_login;

/** The rows of a page's table, and where its pager's links go. */
const rowsOf = (page: string) => [...page.matchAll(/<tr><td>/g)].length;
const linkOf = (page: string, label: string) =>
  new RegExp(`<a href="([^"]+)">${label}</a>`).exec(page)?.[1]?.replaceAll("&amp;", "&");

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
    expect((await console.get("/admin/audit?page=0")).response.status).toBe(400);
    expect((await console.get("/admin/mail?page=x")).response.status).toBe(400);
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

  it("sets last_login when a console sign-in completes, as the API's login does", async () => {
    const staff = await createStaff(app());
    expect(await lastLoginOf(staff.user.id)).toBeNull();
    const started = Date.now();
    await signInOverHttp(app().url, staff.username, staff.password);
    expect((await lastLoginOf(staff.user.id))?.getTime()).toBeGreaterThanOrEqual(started - 1000);
  });

  it("pages the audit trail, keeping its filters in the links: 205 events, the last 5 on page 2", async () => {
    const staff = await createStaff(app());
    const member = await signUp(app());
    await app()
      .db.db.insertInto("auth_events")
      .values(
        Array.from({ length: 205 }, (_, n) => ({
          event: "mail_retried",
          user_id: member.user.id,
          detail: JSON.stringify({ n }),
        })),
      )
      .execute();
    const { console } = await signInOverHttp(app().url, staff.username, staff.password);
    const first = await console.get(`/admin/audit?user=${member.account.username}&event=mail_retried`);
    expect(rowsOf(first.text)).toBe(200);
    expect(first.text).toContain("{&quot;n&quot;:204}");
    const next = linkOf(first.text, "Next →");
    expect(next).toBeDefined();
    const query = new URL(next as string, app().url).searchParams;
    expect([query.get("user"), query.get("event"), query.get("page")]).toEqual([
      member.account.username,
      "mail_retried",
      "2",
    ]);
    const second = await console.get(next as string);
    expect(rowsOf(second.text)).toBe(5);
    for (let n = 0; n < 5; n += 1) expect(second.text).toContain(`{&quot;n&quot;:${n}}`);
    expect(linkOf(second.text, "Next →")).toBeUndefined();
    expect(linkOf(second.text, "← Previous")).toBe(
      `/admin/audit?user=${member.account.username}&event=mail_retried&page=1`,
    );
  });

  it("pages the mail outbox: every pending and dead mail is on some page", async () => {
    const staff = await createStaff(app());
    const { db } = app().db;
    const sealedBody = app().app.deps.secrets.seal("body");
    const rows = await db
      .insertInto("outbox_mails")
      .values(
        Array.from({ length: 205 }, (_, n) => ({
          kind: "password_reset",
          to_address: `dead${n}@example.com`,
          subject: "Reset",
          sealed_body: sealedBody,
          status: "dead",
          last_error: "550",
        })),
      )
      .returning("id")
      .execute();
    const ids = rows.map((row) => row.id);
    const { console } = await signInOverHttp(app().url, staff.username, staff.password);
    const shown: number[] = [];
    let path: string | undefined = "/admin/mail";
    for (let pages = 0; path !== undefined && pages < 10; pages += 1) {
      const page = await console.get(path);
      expect(page.response.status).toBe(200);
      const rows = [...page.text.matchAll(/<tr><td>#(\d+)<\/td>/g)].map((match) => Number(match[1]));
      expect(rows.length).toBeLessThanOrEqual(200);
      shown.push(...rows);
      path = linkOf(page.text, "Next →");
    }
    expect(shown).toEqual(expect.arrayContaining(ids));
    expect(new Set(shown).size).toBe(shown.length);
  });
});

describe("a passkey as the console's second factor", () => {
  it("does not let a passkey-only staff account in with its password alone: the session waits for the passkey", async () => {
    const staff = await passkeyStaff();
    await app().db.db.updateTable("users").set({ last_login: null }).where("id", "=", staff.user.id).execute();
    const { console, answer } = await signInOverHttp(app().url, staff.username, staff.password);
    expect(answer.response.status).toBe(303);
    expect(answer.response.headers.get("location")).toBe("/admin/login/second-factor");
    expect((await console.get("/admin/users")).response.headers.get("location")).toBe("/admin/login");
    const sessions = await app()
      .db.db.selectFrom("admin_sessions")
      .select("awaiting_second_factor")
      .where("user_id", "=", staff.user.id)
      .execute();
    expect(sessions).toEqual([{ awaiting_second_factor: true }]);
    expect(await eventsOf(staff.user.id, "admin_signed_in")).toEqual([]);
    expect(await lastLoginOf(staff.user.id)).toBeNull();

    const page = await console.get("/admin/login/second-factor");
    expect(page.text).toContain("Use a passkey");
    expect(page.text).toMatch(/<noscript><p[^>]*>[^<]*needs JavaScript/);
    expect(page.text).not.toContain('name="code"');
    expect(page.text).toContain('<script src="/admin/static/passkey.js" defer></script>');
    expect(page.response.headers.get("content-security-policy")).toContain("script-src 'self'");
    // The other pages still allow no script.
    expect(
      (await consoleClient(app().url).get("/admin/login")).response.headers.get("content-security-policy"),
    ).not.toContain("script-src");
    const script = await console.get("/admin/static/passkey.js");
    expect(script.response.status).toBe(200);
    expect(script.response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.text).toContain("navigator.credentials.get");
  });

  it("finishes with the account's passkey; another user's, a forged and a replayed assertion are refused", async () => {
    const staff = await passkeyStaff();
    const other = await passkeyStaff();
    await app().db.db.updateTable("users").set({ last_login: null }).where("id", "=", staff.user.id).execute();
    const step = await waitingForPasskey(staff);
    // The options need the waiting session and its CSRF token.
    expect((await step.console.post(OPTIONS, {})).response.status).toBe(403);
    expect((await consoleClient(app().url).post(OPTIONS, { csrf: csrfOf(step.page.text) })).response.status).toBe(403);

    const first = await step.options();
    expect(first.allowCredentials.map((credential) => credential.id)).toEqual([staff.authenticator.id]);
    const foreign = await step.finish(other.authenticator.get(first));
    expect(foreign.response.status).toBe(400);
    expect(foreign.text).toContain("The passkey could not be verified.");

    const second = await step.options();
    const forged = staff.authenticator.get(second);
    forged.response.signature = other.authenticator.get(second).response.signature;
    expect((await step.finish(forged)).response.status).toBe(400);
    expect((await step.console.get("/admin/users")).response.headers.get("location")).toBe("/admin/login");

    const valid = staff.authenticator.get(await step.options());
    const done = await step.finish(valid);
    expect(done.response.status).toBe(303);
    expect(done.response.headers.get("location")).toBe("/admin/users");
    expect((await step.console.get("/admin/users")).response.status).toBe(200);
    expect(await lastLoginOf(staff.user.id)).not.toBeNull();

    const again = await waitingForPasskey(staff);
    expect((await again.finish(valid)).response.status).toBe(400);
    expect((await again.console.get("/admin/users")).response.headers.get("location")).toBe("/admin/login");

    expect(await eventsOf(staff.user.id, "admin_signed_in")).toEqual([{ detail: { factor: "passkey" } }]);
    const failures = (await eventsOf(staff.user.id, "passkey_login_failed")).map(
      (row) => (row.detail as { reason: string }).reason,
    );
    expect(failures).toHaveLength(3);
    expect(failures[0]).toBe("another user's passkey");
    expect(failures[2]).toBe("challenge unknown, used or expired");
  });

  it("swaps the waiting session for a full one once, however many assertions race", async () => {
    // Without a signature counter, both assertions verify: only the session swap can keep it to one.
    const staff = await passkeyStaff(new SoftAuthenticator(ORIGIN, undefined, false));
    const step = await waitingForPasskey(staff);
    const options = await Promise.all(Array.from({ length: 4 }, () => step.options()));
    const answers = await Promise.all(options.map((each) => step.finish(staff.authenticator.get(each))));
    const done = answers.filter((answer) => answer.response.headers.get("location") === "/admin/users");
    expect(done).toHaveLength(1);
    expect(await eventsOf(staff.user.id, "admin_signed_in")).toHaveLength(1);
    const sessions = await app()
      .db.db.selectFrom("admin_sessions")
      .select("awaiting_second_factor")
      .where("user_id", "=", staff.user.id)
      .execute();
    expect(sessions).toEqual([{ awaiting_second_factor: false }]);
  });

  it("counts each assertion before checking it: once the budget is spent, even the right passkey gets 429", async () => {
    const staff = await passkeyStaff();
    const step = await waitingForPasskey(staff);
    for (let attempt = 0; attempt < MFA_CODE_ATTEMPTS.limit; attempt += 1) {
      const unknownChallenge = staff.authenticator.get({ challenge: Buffer.alloc(32, attempt).toString("base64url") });
      expect((await step.finish(unknownChallenge)).response.status).toBe(400);
    }
    const late = await step.finish(staff.authenticator.get(await step.options()));
    expect(late.response.status).toBe(429);
    expect(Number(late.response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await step.console.get("/admin/users")).response.headers.get("location")).toBe("/admin/login");
  });

  it("shows the code form and the passkey button to an account that has both", async () => {
    const staff = await createStaff(app());
    const authenticator = new SoftAuthenticator(ORIGIN);
    const { caller } = await registerPasskey(app(), staff.username, (options) => authenticator.create(options));
    const setup = await caller.totp.begin();
    await caller.totp.confirm({ code: totpCode(decodeBase32IgnorePadding(setup.secret), currentStep()) });
    const { console, answer } = await signInOverHttp(app().url, staff.username, staff.password);
    expect(answer.response.headers.get("location")).toBe("/admin/login/second-factor");
    const page = await console.get("/admin/login/second-factor");
    expect(page.text).toContain('name="code"');
    expect(page.text).toContain("Use a passkey");
  });
});

describe("the console's passkey options", () => {
  it("are rationed per user with registration's options, counted before a challenge is written", async () => {
    const staff = await passkeyStaff(); // its registration took one set of options
    const step = await waitingForPasskey(staff);
    const csrf = csrfOf(step.page.text);
    const replies = await Promise.all(Array.from({ length: 40 }, () => step.console.post(OPTIONS, { csrf })));
    const left = OPTIONS_PER_USER.limit - 1;
    const statuses = replies.map((reply) => reply.response.status).sort();
    expect(statuses).toEqual([...Array(left).fill(200), ...Array(40 - left).fill(429)]);
    expect(replies.every((reply) => reply.response.status === 200 || reply.response.headers.get("retry-after"))).toBe(
      true,
    );
    const challenges = await app()
      .db.db.selectFrom("webauthn_challenges")
      .select("purpose")
      .where("user_id", "=", staff.user.id)
      .where("purpose", "=", "admin")
      .execute();
    expect(challenges.length).toBe(left);
  });
});
