import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestApp } from "../helpers/app.js";
import { CHROMIUM_ARGS, chromiumPath } from "../helpers/chromium.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const app = useTestApp();

/** `UPDATE_SCREENSHOT=1 npx vitest run tests/docs/browser.test.ts` refreshes the README's pictures in docs/. */
const shots =
  process.env.UPDATE_SCREENSHOT === "1" ? join(process.cwd(), "docs") : mkdtempSync(join(tmpdir(), "shots-"));
const screenshot = (name: string) => join(shots, name);
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});
afterAll(() => browser?.close());

describe("the API reference page at /api/docs, in real Chromium", () => {
  it("lists the operations, and a try-it call to the token endpoint succeeds", async () => {
    const account = newAccount();
    const registered = await fetch(`${app().url}/api/users/register/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(account),
    });
    expect(registered.status).toBe(201);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // Everything the page loads comes from this server: no CDN.
    const foreign: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(app().url)) foreign.push(request.url());
    });
    await page.goto(`${app().url}/api/docs`);
    await page.locator(".opblock").first().waitFor({ timeout: 20_000 });
    const paths = await page.locator(".opblock-summary-path").allInnerTexts();
    for (const path of ["/api/token/", "/api/users/register/", "/api/tasks/{id}/", "/api/verify-otp/"]) {
      expect(paths.map((text) => text.replace(/\u200b/g, ""))).toContain(path);
    }
    await page.screenshot({ path: screenshot("api-reference.png") });

    const token = page.locator(".opblock-post", {
      has: page.locator('.opblock-summary-path[data-path="/api/token/"]'),
    });
    await token.locator(".opblock-summary").click();
    await token.getByRole("button", { name: "Try it out" }).click();
    await token
      .locator("textarea.body-param__text")
      .fill(JSON.stringify({ username: account.username, password: STRONG_PASSWORD }));
    await token.getByRole("button", { name: "Execute" }).click();
    const status = token.locator(".live-responses-table tr.response .response-col_status").first();
    await expect.poll(() => status.innerText(), { timeout: 15_000 }).toContain("200");
    const body = await token.locator(".live-responses-table tr.response .microlight").first().innerText();
    expect(JSON.parse(body)).toEqual({ refresh: expect.any(String), access: expect.any(String) });
    expect(foreign).toEqual([]);

    await token.locator(".live-responses-table").scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot("api-reference-try-it.png") });
    await context.close();
  });
});
