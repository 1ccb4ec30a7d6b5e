#!/usr/bin/env node
// Makes docs/admin-console.png: the built server on an in-memory PGlite with a
// few made-up accounts, its console in headless Chromium at phone and desktop
// width. Run after `npm run build`: `node bin/admin-screenshot.mjs`.
import { PGlite } from "@electric-sql/pglite";
import { chromium } from "playwright-core";
import { createApp } from "../dist/server/app.js";
import { loadConfig } from "../dist/server/config/config.js";
import { pgliteHandle } from "../dist/server/db/connect.js";
import { migrateToLatest } from "../dist/server/db/migrate.js";
import { migrationsDir } from "../dist/server/paths.js";
import { createAccount } from "../dist/server/services/users.js";

const PASSWORD = "Correct-Horse-9-Battery";
const database = pgliteHandle(await PGlite.create("memory://"));
await migrateToLatest(database.db, migrationsDir);
const config = loadConfig({
  NODE_ENV: "development",
  JWT_SIGNING_KEY: "screenshot-signing-key-that-is-long-enough-0123",
  PORT: "0",
  HOST: "127.0.0.1",
  LOG_LEVEL: "silent",
  MAIL_OUTBOX_DIR: "/tmp/admin-screenshot-outbox",
});
const app = await createApp(config, { database });
const port = await app.start();
const people = [
  ["admin", "Ada", "Lovelace", true],
  ["grace", "Grace", "Hopper", false],
  ["alan", "Alan", "Turing", false],
  ["katherine", "Katherine", "Johnson", false],
  ["edsger", "Edsger", "Dijkstra", false],
];
for (const [username, first, last, staff] of people) {
  await createAccount(
    app.deps,
    {
      username,
      email: `${username}@example.com`,
      password: PASSWORD,
      first_name: first,
      last_name: last,
      is_staff: staff,
      is_superuser: staff,
    },
    { event: "user_created", by: "cli" },
  );
}
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const browser = await chromium.launch({ executablePath, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
  await page.goto(`http://127.0.0.1:${port}/admin/`);
  await page.fill("#username", "admin");
  await page.fill("#password", PASSWORD);
  await page.click("button[type=submit]");
  await page.screenshot({ path: new URL("../docs/admin-console.png", import.meta.url).pathname });
} finally {
  await browser.close();
  await app.stop();
  await database.close();
}
