import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTransport } from "nodemailer";
import type { Logger } from "../logger.js";

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** The port the outbox sender delivers through; a failure is thrown, never swallowed. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
  /** Where mail goes, for logs: never credentials. */
  readonly description: string;
}

/** SMTP through nodemailer, with timeouts so that a hanging server is a failure, not a stall. */
export function smtpMailer(url: string): Mailer {
  const transport = createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as Parameters<typeof createTransport>[0]);
  const { protocol, host } = new URL(url);
  return {
    description: `${protocol}//${host}`,
    async send(mail) {
      await transport.sendMail(mail);
    },
    close: () => transport.close(),
  };
}

/** Development: each message becomes an .eml file in an ignored folder, and one log line says where. */
export function fileMailer(folder: string, log: Logger): Mailer {
  const render = createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    description: `files in ${folder}`,
    async send(mail) {
      const info = await render.sendMail(mail);
      await mkdir(folder, { recursive: true });
      const file = join(folder, `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomUUID().slice(0, 8)}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      log.info({ to: mail.to, file }, "mail written to the development outbox");
    },
    close: () => render.close(),
  };
}
