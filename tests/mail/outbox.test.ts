import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/run.js";
import { createSecrets } from "../../server/crypto/secrets.js";
import { connectDatabase } from "../../server/db/connect.js";
import { smtpMailer } from "../../server/mail/mailer.js";
import { createMailQueue } from "../../server/mail/queue.js";
import { createOutboxSender, DEFAULT_SENDER_OPTIONS, type SenderOptions } from "../../server/mail/sender.js";
import { otpMail } from "../../server/mail/templates.js";
import { FAST_SENDER, fastHasher, startTestApp, testConfig } from "../helpers/app.js";
import { scriptedIO } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { client } from "../helpers/http.js";
import { capturedLogger } from "../helpers/logs.js";
import { otpCode, startSmtp } from "../helpers/smtp.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

const outbox = () => database.db.selectFrom("outbox_mails").selectAll().orderBy("id");

// Each test starts with an empty outbox: a sender would otherwise deliver what an earlier test left.
beforeEach(async () => {
  await database.db.deleteFrom("outbox_mails").execute();
});

async function cli(argv: string[]) {
  const { io, out, err } = scriptedIO();
  const code = await runCli(argv, { io, loadConfig: () => testConfig(), database, hasher: fastHasher });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

async function otpLogin(url: string) {
  const api = client(() => url);
  const account = newAccount();
  expect((await api.post("/api/users/register/", account)).status).toBe(201);
  const started = Date.now();
  const res = await api.post("/api/login/", { username: account.username, password: STRONG_PASSWORD });
  return { account, res, elapsed: Date.now() - started };
}

describe("the transactional outbox", () => {
  it("holds mail while SMTP is down, without failing or slowing the request, and delivers it once SMTP is up", async () => {
    const smtp = await startSmtp({ listen: false });
    const app = await startTestApp({ SMTP_URL: smtp.url }, { database, sender: { maxAttempts: 50 } });
    try {
      const { account, res, elapsed } = await otpLogin(app.url);
      expect(res.status).toBe(200);
      expect(elapsed).toBeLessThan(1_500);
      // Failed attempts are recorded while the server is down.
      await expect
        .poll(async () => (await outbox().where("to_address", "=", account.email).executeTakeFirst())?.attempts, {
          timeout: 5_000,
        })
        .toBeGreaterThanOrEqual(2);
      const pending = await outbox().where("to_address", "=", account.email).executeTakeFirstOrThrow();
      expect(pending.status).toBe("pending");
      expect(pending.last_error).toMatch(/ECONNREFUSED/);

      await smtp.restart();
      const mail = await smtp.waitFor((m) => m.to === account.email);
      expect(otpCode(mail)).toMatch(/^\d{6}$/);
      await expect
        .poll(async () => (await outbox().where("to_address", "=", account.email).executeTakeFirst())?.status)
        .toBe("sent");
    } finally {
      await app.app.stop();
      await smtp.stop();
    }
  });

  it("dead-letters mail an SMTP server keeps refusing, logs it, shows it in the CLI and retries it on demand", async () => {
    const smtp = await startSmtp();
    smtp.mode = "refuse";
    const logs = capturedLogger();
    const app = await startTestApp({ SMTP_URL: smtp.url }, { database, log: logs.log });
    try {
      const { account } = await otpLogin(app.url);
      await expect
        .poll(async () => (await outbox().where("to_address", "=", account.email).executeTakeFirst())?.status, {
          timeout: 5_000,
        })
        .toBe("dead");
      const dead = await outbox().where("to_address", "=", account.email).executeTakeFirstOrThrow();
      expect(dead.attempts).toBe(FAST_SENDER.maxAttempts);
      expect(dead.last_error).toMatch(/550/);
      const errors = logs.lines.map((line) => JSON.parse(line)).filter((line) => line.msg === "mail dead-lettered");
      expect(errors).toEqual([expect.objectContaining({ level: 50, mailId: dead.id, kind: "otp" })]);

      const listed = await cli(["mail", "list", "--status", "dead"]);
      expect(listed.code).toBe(0);
      expect(listed.out).toContain(`#${dead.id} dead otp to ${account.email}`);
      expect(listed.out).toMatch(/last error: .*550/);

      smtp.mode = "accept";
      expect(await cli(["mail", "retry", String(dead.id)])).toMatchObject({
        code: 0,
        out: "1 dead mail requeued; the server delivers them shortly.",
      });
      await smtp.waitFor((m) => m.to === account.email);
      await expect.poll(async () => (await outbox().where("id", "=", dead.id).executeTakeFirst())?.status).toBe("sent");
      expect((await cli(["mail", "retry", String(dead.id)])).code).toBe(1);
      expect((await cli(["mail", "retry"])).code).toBe(2);
    } finally {
      await app.app.stop();
      await smtp.stop();
    }
  });

  it("counts a hanging SMTP server as a failure after the send timeout, then delivers", async () => {
    const smtp = await startSmtp();
    smtp.mode = "hang";
    const app = await startTestApp(
      { SMTP_URL: smtp.url },
      { database, sender: { sendTimeoutMs: 300, maxAttempts: 50 } },
    );
    try {
      const { account, res } = await otpLogin(app.url);
      expect(res.status).toBe(200);
      await expect
        .poll(async () => (await outbox().where("to_address", "=", account.email).executeTakeFirst())?.last_error, {
          timeout: 5_000,
        })
        .toMatch(/no answer within 300 ms/);
      smtp.mode = "accept";
      await smtp.waitFor((m) => m.to === account.email);
    } finally {
      await app.app.stop();
      await smtp.stop();
    }
  });

  it("keeps mail across a restart: what was queued while no server ran is sent when one starts", async () => {
    const smtp = await startSmtp();
    const secrets = createSecrets(testConfig().secretKey);
    await createMailQueue(secrets).enqueue(database.db, otpMail("Acme", "restart@example.com", "424242", 300));
    const app = await startTestApp({ SMTP_URL: smtp.url }, { database });
    try {
      const mail = await smtp.waitFor((m) => m.to === "restart@example.com");
      expect(otpCode(mail)).toBe("424242");
    } finally {
      await app.app.stop();
      await smtp.stop();
    }
  });

  it("seals bodies at rest and erases them once sent", async () => {
    const secrets = createSecrets(testConfig().secretKey);
    await createMailQueue(secrets).enqueue(database.db, otpMail("Acme", "sealed@example.com", "135790", 300));
    const row = await outbox().where("to_address", "=", "sealed@example.com").executeTakeFirstOrThrow();
    expect(Buffer.from(row.sealed_body ?? []).toString("latin1")).not.toContain("135790");
    expect(secrets.open(row.sealed_body ?? new Uint8Array())).toContain("135790");
    expect(createSecrets("another-key").open(row.sealed_body ?? new Uint8Array())).toBeUndefined();

    const smtp = await startSmtp();
    const sender = createOutboxSender(
      { db: database.db, mailer: smtpMailer(smtp.url), secrets, log: pino({ level: "silent" }), from: "a@b.test" },
      { ...DEFAULT_FAST },
    );
    try {
      await sender.drainOnce();
      const sent = await outbox().where("id", "=", row.id).executeTakeFirstOrThrow();
      expect([sent.status, sent.sealed_body]).toEqual(["sent", null]);
    } finally {
      await sender.stop();
      await smtp.stop();
    }
  });

  it("delivers each mail exactly once when two senders drain the outbox at the same time", async () => {
    const secrets = createSecrets(testConfig().secretKey);
    const queue = createMailQueue(secrets);
    const addresses = Array.from({ length: 60 }, (_, i) => `twice-${i}@example.com`);
    for (const to of addresses) await queue.enqueue(database.db, otpMail("Acme", to, "123456", 300));

    const smtp = await startSmtp();
    // Each sender has its own connections, as two server processes would (PGlite has one database connection).
    const second = database.url ? await connectDatabase({ url: database.url, pgliteDir: "", poolSize: 3 }) : undefined;
    const senders = [database.db, second?.db ?? database.db].map((db) =>
      createOutboxSender(
        { db, mailer: smtpMailer(smtp.url), secrets, log: pino({ level: "silent" }), from: "a@b.test" },
        { ...DEFAULT_FAST },
      ),
    );
    try {
      const handled = await Promise.all(senders.map((sender) => sender.drainOnce()));
      expect(handled.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(addresses.length);
      if (database.url) expect(handled.every((count) => count > 0)).toBe(true);
      const delivered = smtp.delivered.filter((m) => m.to.startsWith("twice-")).map((m) => m.to);
      expect(delivered.sort()).toEqual([...addresses].sort());
    } finally {
      for (const sender of senders) await sender.stop();
      await second?.close();
      await smtp.stop();
    }
  });

  it("delivers each mail once when SMTP is slower than the lease: two senders, the lease renewed while sending", async () => {
    const secrets = createSecrets(testConfig().secretKey);
    const queue = createMailQueue(secrets);
    const addresses = Array.from({ length: 4 }, (_, i) => `slow-${i}@example.com`);
    for (const to of addresses) await queue.enqueue(database.db, otpMail("Acme", to, "123456", 300));

    const smtp = await startSmtp();
    // Each mail takes two and a half leases to be accepted (the real case: 15 s a mail, a 120 s lease for ten).
    smtp.delayMs = 2_500;
    const second = database.url ? await connectDatabase({ url: database.url, pgliteDir: "", poolSize: 3 }) : undefined;
    const logs = [capturedLogger(), capturedLogger()];
    const senders = [database.db, second?.db ?? database.db].map((db, index) =>
      createOutboxSender(
        { db, mailer: smtpMailer(smtp.url), secrets, log: (logs[index] ?? capturedLogger()).log, from: "a@b.test" },
        // Both keep looking for due mail, as running servers do: a lapsed lease would be taken over.
        { ...DEFAULT_FAST, pollMs: 100, leaseMs: 1_000, sendTimeoutMs: 20_000 },
      ),
    );
    try {
      for (const sender of senders) sender.start();
      await expect
        .poll(async () => (await outbox().where("status", "=", "sent").execute()).length, { timeout: 30_000 })
        .toBe(addresses.length);
      // stop() waits for a delivery in progress: whatever either sender had on the wire has arrived.
      for (const sender of senders) await sender.stop();
      const delivered = smtp.delivered.map((m) => m.to);
      expect(delivered.sort()).toEqual([...addresses].sort());
      expect((await outbox().execute()).map((row) => row.attempts)).toEqual(addresses.map(() => 1));
      // Both senders delivered: each claims one mail at a time, not a batch the other then waits on.
      const sentBy = logs.map(({ lines }) => lines.filter((line) => JSON.parse(line).msg === "mail sent").length);
      expect(sentBy.every((count) => count > 0)).toBe(true);
      expect(sentBy.reduce((a, b) => a + b, 0)).toBe(addresses.length);
      for (const { lines } of logs) expect(lines.join("\n")).not.toMatch(/lease lost|taken over/);
    } finally {
      for (const sender of senders) await sender.stop();
      await second?.close();
      await smtp.stop();
    }
  });

  it("without SMTP_URL, writes each mail as an .eml file in the development outbox and logs where", async () => {
    const folder = mkdtempSync(join(tmpdir(), "dev-outbox-"));
    const logs = capturedLogger();
    const app = await startTestApp({ MAIL_OUTBOX_DIR: folder }, { database, log: logs.log });
    try {
      const { account } = await otpLogin(app.url);
      await expect.poll(() => readdirSync(folder).length).toBe(1);
      const [file] = readdirSync(folder);
      const eml = readFileSync(join(folder, file ?? ""), "utf8");
      expect(eml).toContain(`To: ${account.email}`);
      expect(eml).toMatch(/Your OTP is \d{6}\./);
      const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.msg === "mail written to the development outbox");
      expect(line).toMatchObject({ to: account.email, file: join(folder, file ?? "") });
    } finally {
      await app.app.stop();
    }
  });
});

const DEFAULT_FAST: SenderOptions = { ...DEFAULT_SENDER_OPTIONS, ...FAST_SENDER, pollMs: 10_000 };
