import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateTOTP } from "@oslojs/otp";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertMail } from "../../server/db/repositories/outbox.js";
import { changeAccount, createAccount } from "../../server/services/users.js";
import { createStaff, registerPasskey } from "../helpers/admin.js";
import { useTestApp } from "../helpers/app.js";
import { addVirtualAuthenticator, CHROMIUM_ARGS, chromiumPath } from "../helpers/chromium.js";
import { http } from "../helpers/http.js";
import { freePort } from "../helpers/smtp.js";
import { STRONG_PASSWORD, signUp } from "../helpers/users.js";

// The console in Chromium, as staff use it: forms and links, and one script
// for a passkey (with Chromium's virtual authenticator, over the DevTools protocol).

// A fixed port, so that the console's origin on localhost (a secure context) can be the relying party's.
let port: number;
beforeAll(async () => {
  port = await freePort();
});
const app = useTestApp({ env: () => ({ PORT: String(port), WEBAUTHN_ORIGINS: `http://localhost:${port}` }) });

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

async function signedIn(username: string, password = STRONG_PASSWORD): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${app().url}/admin/`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  return page;
}

const tokenAccepted = async (access: string) =>
  (await http(app().url, "GET", "/api/users/profile/", { token: access })).status === 200;

describe("the admin console in Chromium", () => {
  it("signs staff in, searches, and deactivates a user whose token the API then refuses", async () => {
    const staff = await createStaff(app());
    const target = await signUp(app(), { first_name: "Grace", last_name: "Hopperfield" });
    await signUp(app());
    expect(await tokenAccepted(target.tokens.access)).toBe(true);

    const page = await signedIn(staff.username);
    expect(new URL(page.url()).pathname).toBe("/admin/users");
    await page.fill("#q", "hopperfield");
    await page.click("form.filters button[type=submit]");
    const rows = page.locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(1);
    await page.click(`text=${target.account.username}`);
    await page.click("button:has-text('Deactivate')");
    expect(await page.textContent(".notice")).toContain("deactivated");

    expect(await tokenAccepted(target.tokens.access)).toBe(false);
    const event = await app()
      .db.db.selectFrom("auth_events")
      .select("detail")
      .where("user_id", "=", target.user.id)
      .where("event", "=", "user_deactivated")
      .executeTakeFirstOrThrow();
    expect(event.detail).toMatchObject({ by: staff.username, is_active: false });
    await page.context().close();
  });

  it("revokes one session, then all, and their refresh tokens stop working", async () => {
    const staff = await createStaff(app());
    const target = await signUp(app());
    const second = await app()
      .caller()
      .auth.obtainToken({ username: target.account.username, password: STRONG_PASSWORD });

    const page = await signedIn(staff.username);
    await page.goto(`${app().url}/admin/users/${target.user.id}`);
    const revoke = page.locator("td button:has-text('Revoke')");
    expect(await revoke.count()).toBe(2);
    await revoke.first().click();
    expect(await page.textContent(".notice")).toContain("The session ended");
    expect(await page.locator("td button:has-text('Revoke')").count()).toBe(1);
    await page.click("button:has-text('Revoke all sessions')");
    expect(await page.textContent(".notice")).toContain("Every session");
    expect(await page.textContent("body")).toContain("No live sessions.");

    for (const refresh of [target.tokens.refresh, second.refresh]) {
      expect((await http(app().url, "POST", "/api/token/refresh/", { body: { refresh } })).status).toBe(401);
    }
    const events = await app()
      .db.db.selectFrom("auth_events")
      .select(["event", "detail"])
      .where("user_id", "=", target.user.id)
      .where("event", "in", ["session_revoked", "logout_everywhere"])
      .execute();
    expect(events.map((row) => row.detail)).toEqual([
      expect.objectContaining({ by: staff.username }),
      expect.objectContaining({ by: staff.username, sessions: 1 }),
    ]);
    await page.context().close();
  });

  it("shows dead mail with its last error and puts it back in the queue", async () => {
    const staff = await createStaff(app());
    const { db } = app().db;
    const id = await db.transaction().execute(async (trx) => {
      const mailId = await insertMail(trx, {
        kind: "password_reset",
        to: "dead@example.com",
        subject: "Reset",
        sealedBody: app().app.deps.secrets.seal("body"),
      });
      await trx
        .updateTable("outbox_mails")
        .set({ status: "dead", attempts: 8, last_error: "550 <mailbox> unavailable" })
        .where("id", "=", mailId)
        .execute();
      return mailId;
    });

    const page = await signedIn(staff.username);
    await page.click("a:has-text('Mail outbox')");
    const row = page.locator("tr", { hasText: `#${id}` });
    expect(await row.textContent()).toContain("550 <mailbox> unavailable");
    expect(await row.textContent()).toContain("dead");
    await row.locator("button:has-text('Retry')").click();
    expect(await page.textContent(".notice")).toContain("back in the queue");

    const mail = await db.selectFrom("outbox_mails").select("status").where("id", "=", id).executeTakeFirstOrThrow();
    expect(mail.status).not.toBe("dead");
    const audit = await db.selectFrom("auth_events").select("detail").where("event", "=", "mail_retried").execute();
    expect(audit.map((event) => event.detail)).toContainEqual({ by: staff.username, ids: [id], requeued: 1 });
    await page.context().close();
  });

  it("refuses an account that is not staff", async () => {
    const member = await signUp(app());
    const page = await signedIn(member.account.username);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    expect(await page.textContent(".error")).toContain("staff account");
    await page.goto(`${app().url}/admin/users`);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    await page.context().close();
  });

  it("refuses a form posted without its CSRF token", async () => {
    const staff = await createStaff(app());
    const target = await signUp(app());
    const page = await signedIn(staff.username);
    await page.goto(`${app().url}/admin/users/${target.user.id}`);
    const form = page.locator(`form[action="/admin/users/${target.user.id}/deactivate"]`);
    // What a forged form would send: the same fields, no token.
    await form.locator("input[name=csrf]").evaluate((input) => (input as unknown as { remove(): void }).remove());
    const [response] = await Promise.all([page.waitForResponse(/deactivate/), form.locator("button").click()]);
    expect(response.status()).toBe(403);
    const user = await app()
      .db.db.selectFrom("users")
      .select("is_active")
      .where("id", "=", target.user.id)
      .executeTakeFirst();
    expect(user?.is_active).toBe(true);
    await page.context().close();
  });

  it("renders a username holding <script> as text", async () => {
    const staff = await createStaff(app());
    const name = `<script>document.title="owned"</script>${process.pid}`;
    const evil = await createAccount(
      app().app.deps,
      { username: name, email: `evil${process.pid}@example.com`, password: STRONG_PASSWORD },
      { event: "user_created", by: "test" },
    );
    const page = await signedIn(staff.username);
    await page.goto(`${app().url}/admin/users?q=${encodeURIComponent("<script>")}`);
    expect(await page.locator("tbody td a").first().textContent()).toBe(name);
    await page.goto(`${app().url}/admin/users/${evil.id}`);
    expect(await page.textContent("h1")).toBe(name);
    expect(await page.title()).not.toBe("owned");
    expect(await page.content()).toContain("&lt;script&gt;");
    await page.context().close();
  });

  it("asks a staff member with TOTP for the code before letting them in", async () => {
    const staff = await signUp(app());
    await changeAccount(app().app.deps, { id: staff.user.id }, "staff", { by: "test" });
    const caller = app().caller(staff.authorization);
    const setup = await caller.totp.begin();
    const secret = decodeBase32IgnorePadding(setup.secret);
    const { recovery_codes } = await caller.totp.confirm({ code: generateTOTP(secret, 30, 6) });

    const page = await signedIn(staff.account.username);
    expect(new URL(page.url()).pathname).toBe("/admin/login/second-factor");
    await page.goto(`${app().url}/admin/users`);
    expect(new URL(page.url()).pathname).toBe("/admin/login");

    const again = await signedIn(staff.account.username);
    await again.fill("#code", "000000");
    await again.click("button[type=submit]");
    expect(await again.textContent(".error")).toContain("Invalid or expired code");
    await again.fill("#code", recovery_codes[0] as string);
    await again.click("button[type=submit]");
    expect(new URL(again.url()).pathname).toBe("/admin/users");
    await page.context().close();
    await again.context().close();
  });

  it("signs a passkey-only staff member in with the passkey, through the page's button and script", async () => {
    const staff = await createStaff(app());
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    // A refused script or fetch (CSP) is a console error; the browser's own favicon request is not ours.
    page.on("console", (message) => {
      if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) errors.push(message.text());
    });
    await addVirtualAuthenticator(context, page);
    const origin = `http://localhost:${port}`;
    await page.goto(`${origin}/admin/login`);
    // The passkey is made by this browser's authenticator on the console's origin, and registered through the API.
    await registerPasskey(app(), staff.username, (options) =>
      page.evaluate(async (json) => {
        const browser = globalThis as any;
        const publicKey = browser.PublicKeyCredential.parseCreationOptionsFromJSON(json);
        return (await browser.navigator.credentials.create({ publicKey })).toJSON();
      }, options as any),
    );

    await page.fill("#username", staff.username);
    await page.fill("#password", STRONG_PASSWORD);
    await page.click("button[type=submit]");
    expect(new URL(page.url()).pathname).toBe("/admin/login/second-factor");
    expect(await page.locator("#code").count()).toBe(0);
    const button = page.locator("button:has-text('Use a passkey')");
    await button.click();
    // The console's next page, or the script's message saying why not (then the URL check fails with it).
    const refused = page.locator("#passkey [role=alert]:not([hidden])");
    await Promise.race([page.waitForURL(`${origin}/admin/users`), refused.waitFor()]);
    expect(await refused.allTextContents()).toEqual([]);
    expect(new URL(page.url()).pathname).toBe("/admin/users");
    expect(await page.textContent("header")).toContain(staff.username);
    expect(errors).toEqual([]);

    const events = await app()
      .db.db.selectFrom("auth_events")
      .select("detail")
      .where("user_id", "=", staff.user.id)
      .where("event", "=", "admin_signed_in")
      .execute();
    expect(events).toEqual([{ detail: { factor: "passkey" } }]);
    await context.close();

    // Without JavaScript the password alone still opens nothing, and no dead button shows (the <noscript>
    // text is checked over HTTP: Chromium with script turned off by DevTools still parses it as text).
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    const plain = await noScript.newPage();
    await plain.goto(`${origin}/admin/login`);
    await plain.fill("#username", staff.username);
    await plain.fill("#password", STRONG_PASSWORD);
    await plain.click("button[type=submit]");
    expect(new URL(plain.url()).pathname).toBe("/admin/login/second-factor");
    expect(await plain.locator("button:has-text('Use a passkey')").isVisible()).toBe(false);
    await noScript.close();
  });
});
