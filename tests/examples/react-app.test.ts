import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { CHROMIUM_ARGS, chromiumPath } from "../helpers/chromium.js";
import { buildExample } from "../helpers/example-app.js";
import { otpCode, startSmtp, type TestSmtp } from "../helpers/smtp.js";
import { type StaticProxy, startStaticProxy } from "../helpers/static-proxy.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

// examples/react-app, built as its README says, served as in production (its files, and the API
// behind the same origin), driven in headless Chromium. Access tokens live 5 s here, so that
// the app refreshes on its own during the tests; the tests that need an expired token wait for
// one (about 5 s each) rather than fake the page's clock, which would make every new token look
// expired too. Shorter, a slow machine's next steps outlive the new token too, and the app
// rightly refreshes again where a test counts one refresh.
const ACCESS_LIFETIME_S = 5;
const API_PATHS = ["/trpc/", "/auth/session/", "/api/"];

let browser: Browser;
let smtp: TestSmtp;
let api: TestApp;
let tokenSite: StaticProxy;
let cookieSite: StaticProxy;
const contexts: BrowserContext[] = [];

/** A page on another site (127.0.0.1 is not localhost to a browser) that tries to use the victim's cookie. */
const ATTACKER_PAGE = `<!doctype html><meta charset="utf-8"><title>attacker</title>
<form id="form" method="POST" enctype="text/plain" target="sink"><input name='{"x":"' value='"}'></form>
<iframe name="sink"></iframe>
<script>
  const send = (target, headers) =>
    fetch(target + "/auth/session/refresh", { method: "POST", credentials: "include", headers, body: "{}" })
      .then((response) => "answered " + response.status, (error) => "blocked: " + error.name);
  window.attack = async (target) => ({
    simple: await send(target, { "content-type": "text/plain" }),
    withHeader: await send(target, { "content-type": "application/json", "x-requested-with": "jwt-auth" }),
  });
  window.post = (target) => {
    const form = document.getElementById("form");
    form.action = target + "/auth/session/logout";
    form.submit();
  };
</script>`;

beforeAll(async () => {
  const [built, mail, chrome] = await Promise.all([
    buildExample(),
    startSmtp(),
    chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS }),
  ]);
  smtp = mail;
  browser = chrome;
  tokenSite = await startStaticProxy({ root: built.token, prefixes: API_PATHS });
  cookieSite = await startStaticProxy({
    root: built.cookie,
    prefixes: API_PATHS,
    pages: { "/attacker": ATTACKER_PAGE },
  });
  api = await startTestApp({
    SMTP_URL: smtp.url,
    REFRESH_COOKIE: "true",
    ACCESS_TOKEN_LIFETIME: String(ACCESS_LIFETIME_S),
    PASSWORD_RESET_URL: `http://localhost:${tokenSite.port}/reset`,
  });
  tokenSite.setTarget(api.url);
  cookieSite.setTarget(api.url);
}, 300_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await Promise.all([tokenSite?.close(), cookieSite?.close(), smtp?.stop()]);
  await api?.app.stop();
  await api?.db.close();
});

const at = (site: StaticProxy, path = "/", host = "localhost") => `http://${host}:${site.port}${path}`;

/** A browser profile: its tabs share storage and cookies, as one person's browser does. */
async function profile(init?: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  context.setDefaultTimeout(15_000);
  if (init) await context.addInitScript({ content: init });
  contexts.push(context);
  return context;
}

async function tab(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

async function account() {
  const fresh = newAccount();
  await api.caller().auth.register(fresh);
  return fresh;
}

const signedInAs = (page: Page) => page.getByTestId("signed-in-as");
const heading = (page: Page, name: string) => page.getByRole("heading", { name }).waitFor();
const sawEvent = (page: Page, event: string) =>
  page.getByRole("list", { name: "Session events" }).getByText(event, { exact: true }).last().waitFor();
/** The events a tab heard, but the refreshes, which 2-second tokens make frequent. */
const events = async (page: Page) =>
  (await page.getByRole("list", { name: "Session events" }).locator("code").allInnerTexts()).filter(
    (event) => event !== "TOKEN_REFRESHED",
  );

async function signIn(page: Page, username: string, password = STRONG_PASSWORD) {
  await heading(page, "Sign in");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await signedInAs(page).getByText(username).waitFor();
  // The task list has loaded: the tab is idle until the test acts (the accounts here have no tasks).
  await page.getByText("No tasks yet.").waitFor();
}

const storedSession = (page: Page) =>
  page.evaluate('JSON.parse(localStorage.getItem("jwt-auth.session") ?? "null")') as Promise<{
    access: string;
    refresh: string;
    user: { username: string } | null;
  } | null>;

/** Waits, in real time, until the page's access token has expired (ACCESS_LIFETIME_S at most). */
async function untilExpired(access: string) {
  const exp = JSON.parse(Buffer.from(access.split(".")[1] ?? "", "base64url").toString()).exp as number;
  const left = exp * 1000 - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** The session a refresh token belongs to: how often it was rotated, and whether it was revoked. */
async function familyOf(refresh: string) {
  const jti = JSON.parse(Buffer.from(refresh.split(".")[1] ?? "", "base64url").toString()).jti as string;
  const { family_id: sid } = await api.db.db
    .selectFrom("refresh_tokens")
    .select("family_id")
    .where("jti", "=", jti)
    .executeTakeFirstOrThrow();
  const tokens = await api.db.db.selectFrom("refresh_tokens").select("jti").where("family_id", "=", sid).execute();
  const family = await api.db.db
    .selectFrom("refresh_families")
    .select(["revoked_at"])
    .where("id", "=", sid)
    .executeTakeFirstOrThrow();
  return { rotations: tokens.length - 1, revoked: family.revoked_at !== null };
}

describe("the React example, token mode", () => {
  it("registers, signs in with the password, manages tasks, and signs out", { timeout: 60_000 }, async () => {
    const fresh = newAccount();
    const page = await tab(await profile(), at(tokenSite, "/register"));
    await heading(page, "Create an account");
    await page.getByLabel("Username").fill(fresh.username);
    await page.getByLabel("Email").fill(fresh.email);
    await page.getByLabel("First name").fill("Grace");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Password again").fill("short");
    await page.getByRole("button", { name: "Create the account" }).click();
    // The server's own field messages, through the SDK's typed error.
    await page
      .getByRole("alert")
      .getByText(/password: .*too short/)
      .waitFor();
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByLabel("Password again").fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Create the account" }).click();
    await page.getByRole("status").getByText("Your account is ready").waitFor();
    await page.getByRole("link", { name: "Sign in" }).click();

    await signIn(page, fresh.username);
    expect((await storedSession(page))?.user?.username).toBe(fresh.username);
    await page.getByLabel("Title").fill("Write the docs");
    await page.getByRole("button", { name: "Add" }).click();
    const tasks = page.getByRole("list", { name: "Tasks" });
    await tasks.getByText("Write the docs").waitFor();
    await tasks.getByRole("checkbox").click();
    await tasks.locator(".done").waitFor();
    const owner = await api.db.db
      .selectFrom("users")
      .select("id")
      .where("username", "=", fresh.username)
      .executeTakeFirstOrThrow();
    const rows = () =>
      api.db.db.selectFrom("tasks").select(["title", "is_completed"]).where("owner_id", "=", owner.id).execute();
    expect(await rows()).toEqual([{ title: "Write the docs", is_completed: true }]);
    await page.getByRole("button", { name: "Delete Write the docs" }).click();
    await page.getByText("No tasks yet.").waitFor();
    expect(await rows()).toEqual([]);

    const session = await storedSession(page);
    await page.getByRole("button", { name: "Log out" }).click();
    await heading(page, "Sign in");
    expect(await storedSession(page)).toBeNull();
    expect((await familyOf(session?.refresh ?? "")).revoked).toBe(true);
    expect(await events(page)).toEqual(["INITIAL_SESSION", "SIGNED_IN", "SIGNED_OUT"]);
  });

  it("signs in with a code sent by mail", { timeout: 60_000 }, async () => {
    const user = await account();
    const page = await tab(await profile(), at(tokenSite, "/otp"));
    await heading(page, "Sign in with a code");
    await page.getByLabel("Username").fill(user.username);
    await page.getByLabel("Password").fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Send me a code" }).click();
    const mail = await smtp.waitFor((m) => m.to === user.email && /\b\d{6}\b/.test(m.text));
    const code = otpCode(mail);
    await page.getByLabel("Code").fill(code === "000000" ? "111111" : "000000");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("Invalid or expired OTP.").waitFor();
    await page.getByLabel("Code").fill(code);
    await page.getByRole("button", { name: "Sign in" }).click();
    await signedInAs(page).getByText(user.username).waitFor();
  });

  it("resets a forgotten password through the mailed link", { timeout: 60_000 }, async () => {
    const user = await account();
    const page = await tab(await profile(), at(tokenSite, "/login"));
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Email").fill(user.email);
    await page.getByRole("button", { name: "Mail me a link" }).click();
    await page.getByRole("status").waitFor();
    const mail = await smtp.waitFor((m) => m.to === user.email && m.text.includes("/reset?"));
    const link = /http:\/\/localhost:\d+\/reset\?\S+/.exec(mail.text)?.[0] ?? "";
    await page.goto(link);
    await heading(page, "Choose a new password");
    const fresh = "Brand-New-Horse-42";
    await page.getByLabel("New password", { exact: true }).fill(fresh);
    await page.getByLabel("New password again").fill(fresh);
    await page.getByRole("button", { name: "Set the password" }).click();
    await page.getByRole("status").waitFor();
    await page.getByRole("link", { name: "Sign in" }).click();
    await signIn(page, user.username, fresh);
  });

  it("lists the sessions, ends another device's, and logs out everywhere", { timeout: 60_000 }, async () => {
    const user = await account();
    const laptop = await tab(await profile(), at(tokenSite, "/login"));
    const phone = await tab(await profile(), at(tokenSite, "/login"));
    await signIn(laptop, user.username);
    await signIn(phone, user.username);
    await signIn(await tab(await profile(), at(tokenSite, "/login")), user.username);

    await laptop.getByRole("link", { name: "Sessions" }).click();
    const rows = laptop.getByRole("table", { name: "Sessions" }).locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.filter({ hasText: "this device" }).count()).toBe(1);
    expect(await rows.first().innerText()).toContain("HeadlessChrome");
    await rows.getByRole("button", { name: "End" }).first().click();
    await expect.poll(() => rows.count()).toBe(2);

    await laptop.getByRole("button", { name: "Log out everywhere" }).click();
    await heading(laptop, "Sign in");
    // The phone finds out when its access token has expired and it cannot refresh it.
    await untilExpired((await storedSession(phone))?.access ?? "");
    await phone.getByRole("button", { name: "Reload" }).click();
    await phone.getByRole("alert").getByText("Your session has ended").waitFor();
    await heading(phone, "Sign in");
    const live = await api.db.db
      .selectFrom("refresh_families")
      .innerJoin("users", "users.id", "refresh_families.user_id")
      .select("refresh_families.id")
      .where("users.username", "=", user.username)
      .where("refresh_families.revoked_at", "is", null)
      .execute();
    expect(live).toEqual([]);
  });

  it("refreshes once the access token has expired, and keeps working", { timeout: 60_000 }, async () => {
    const user = await account();
    const page = await tab(await profile(), at(tokenSite, "/login"));
    await signIn(page, user.username);
    const before = await storedSession(page);
    const family = await familyOf(before?.refresh ?? "");
    await untilExpired(before?.access ?? "");
    const refreshes = tokenSite.count("/trpc/auth.refresh");
    await page.getByRole("button", { name: "Reload" }).click();
    await sawEvent(page, "TOKEN_REFRESHED");
    await page.getByText("No tasks yet.").waitFor();
    expect(tokenSite.count("/trpc/auth.refresh")).toBe(refreshes + 1);
    const after = await storedSession(page);
    expect(after?.refresh).not.toBe(before?.refresh);
    expect(await familyOf(after?.refresh ?? "")).toEqual({ rotations: family.rotations + 1, revoked: false });
  });
});

describe("the React example, across tabs", () => {
  it("a login, a logout and a revocation in one tab reach the other, with the same events", {
    timeout: 60_000,
  }, async () => {
    const user = await account();
    const context = await profile();
    const first = await tab(context, at(tokenSite, "/login"));
    const second = await tab(context, at(tokenSite, "/login"));
    await heading(second, "Sign in");

    await signIn(first, user.username);
    await signedInAs(second).getByText(user.username).waitFor();
    await first.getByRole("button", { name: "Log out" }).click();
    await heading(second, "Sign in");
    expect(await events(second)).toEqual(["INITIAL_SESSION", "SIGNED_IN", "SIGNED_OUT"]);

    await signIn(first, user.username);
    await signedInAs(second).waitFor();
    await second.getByText("No tasks yet.").waitFor();
    // "Log out everywhere" from another device; this one finds out when its token needs a refresh.
    const elsewhere = await api.caller().auth.obtainToken({ username: user.username, password: STRONG_PASSWORD });
    await api.caller(`Bearer ${elsewhere.access}`).user.revokeAllSessions();
    await untilExpired((await storedSession(first))?.access ?? "");
    await first.getByRole("button", { name: "Reload" }).click();
    for (const page of [first, second]) {
      await page.getByRole("alert").getByText("Your session has ended").waitFor();
      await sawEvent(page, "SESSION_EXPIRED");
    }
  });

  for (const [variant, init] of [
    ["with Web Locks and BroadcastChannel", undefined],
    [
      "without them (a localStorage lease and the storage event)",
      `Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined, configurable: true });
       delete window.BroadcastChannel;`,
    ],
  ] as const) {
    it(`two tabs that need a refresh at once make one, ${variant}`, { timeout: 60_000 }, async () => {
      const user = await account();
      const context = await profile(init);
      const first = await tab(context, at(tokenSite, "/login"));
      const second = await tab(context, at(tokenSite, "/login"));
      expect(await first.evaluate("[typeof navigator.locks, typeof BroadcastChannel]")).toEqual(
        init ? ["undefined", "undefined"] : ["object", "function"],
      );
      await signIn(first, user.username);
      await signedInAs(second).waitFor();
      await second.getByText("No tasks yet.").waitFor();
      const session = await storedSession(first);
      const family = await familyOf(session?.refresh ?? "");
      await untilExpired(session?.access ?? "");

      await Promise.all([first, second].map((page) => page.getByRole("button", { name: "Reload" }).click()));
      for (const page of [first, second]) {
        await sawEvent(page, "TOKEN_REFRESHED");
        await page.getByText("No tasks yet.").waitFor();
      }
      // One rotation, and no reuse: the session lives on.
      expect(await familyOf(session?.refresh ?? "")).toEqual({ rotations: family.rotations + 1, revoked: false });
      expect((await storedSession(second))?.access).toBe((await storedSession(first))?.access);
    });
  }
});

describe("the React example, cookie mode", () => {
  it("keeps the refresh token in an HttpOnly cookie only, and finds the session again on reload and after expiry", {
    timeout: 60_000,
  }, async () => {
    const user = await account();
    const context = await profile();
    const page = await tab(context, at(cookieSite, "/login"));
    await signIn(page, user.username);

    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "jwt_refresh")).toMatchObject({
      path: "/auth/session",
      httpOnly: true,
      sameSite: "Strict",
    });
    expect(cookies.find((c) => c.name === "jwt_access")).toMatchObject({ path: "/", httpOnly: true });
    const refresh = cookies.find((c) => c.name === "jwt_refresh")?.value ?? "";
    expect(await page.evaluate("document.cookie")).toBe("");
    const stored = await page.evaluate("JSON.stringify({ ...localStorage })");
    expect(stored).not.toContain(refresh);

    await page.reload();
    await signedInAs(page).getByText(user.username).waitFor();
    expect(await events(page)).toEqual(["INITIAL_SESSION"]);

    // The access cookie holds the token the app holds in memory.
    await untilExpired((await context.cookies()).find((c) => c.name === "jwt_access")?.value ?? "");
    const refreshes = cookieSite.count("/auth/session/refresh");
    await page.getByRole("button", { name: "Reload" }).click();
    await sawEvent(page, "TOKEN_REFRESHED");
    await page.getByText("No tasks yet.").waitFor();
    expect(cookieSite.count("/auth/session/refresh")).toBeGreaterThan(refreshes);

    const second = await tab(context, at(cookieSite, "/tasks"));
    await signedInAs(second).waitFor();
    await page.getByRole("button", { name: "Log out" }).click();
    await heading(second, "Sign in");
    expect((await context.cookies()).filter((c) => c.name.startsWith("jwt_"))).toEqual([]);
  });

  it("refuses a cross-site page's use of the cookie", { timeout: 60_000 }, async () => {
    const user = await account();
    const context = await profile();
    const victim = await tab(context, at(cookieSite, "/login"));
    await signIn(victim, user.username);
    const before = (await context.cookies()).find((c) => c.name === "jwt_refresh")?.value;

    const attacker = await tab(context, at(cookieSite, "/attacker", "127.0.0.1"));
    const seen = cookieSite.proxied.length;
    const outcome = await attacker.evaluate(`attack(${JSON.stringify(at(cookieSite, ""))})`);
    // The preflight for the custom header fails; the simple request gets no readable answer.
    expect(outcome).toEqual({ simple: "blocked: TypeError", withHeader: "blocked: TypeError" });
    await attacker.evaluate(`post(${JSON.stringify(at(cookieSite, ""))})`);
    const posts = () => cookieSite.proxied.slice(seen).filter((entry) => entry.method === "POST");
    await expect.poll(() => posts().length).toBe(2);
    const reached = posts();
    expect(reached.map((entry) => entry.path).sort()).toEqual(["/auth/session/logout", "/auth/session/refresh"]);
    for (const entry of reached) {
      // SameSite kept the cookie home, and the server refused all the same.
      expect(entry).toMatchObject({ cookie: false, origin: at(cookieSite, "", "127.0.0.1") });
      expect([403, 415]).toContain(entry.status);
    }
    expect((await context.cookies()).find((c) => c.name === "jwt_refresh")?.value).toBe(before);
    await victim.getByRole("button", { name: "Reload" }).click();
    await victim.getByText("No tasks yet.").waitFor();
    await signedInAs(victim).waitFor();
  });
});
