import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import type StreamTransport from "nodemailer/lib/stream-transport/index.js";
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

/**
 * nodemailer is loaded with the first message, not at start: a worker that
 * sends no mail would otherwise carry its modules (2-3 MiB of heap) for life.
 */
function lazyTransport<T>(create: (nodemailer: typeof import("nodemailer")) => Transporter<T>) {
  let transport: Promise<Transporter<T>> | undefined;
  return {
    get: () => {
      transport ??= import("nodemailer").then(create);
      return transport;
    },
    close() {
      void transport?.then((created) => created.close());
      transport = undefined;
    },
  };
}

/** SMTP through nodemailer, with timeouts so that a hanging server is a failure, not a stall. */
export function smtpMailer(url: string): Mailer {
  const { protocol, host } = new URL(url);
  const transport = lazyTransport<SMTPTransport.SentMessageInfo>((nodemailer) =>
    nodemailer.createTransport({
      url,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    } as SMTPTransport.Options),
  );
  return {
    description: `${protocol}//${host}`,
    async send(mail) {
      await (await transport.get()).sendMail(mail);
    },
    close: transport.close,
  };
}

/** Development: each message becomes an .eml file in an ignored folder, and one log line says where. */
export function fileMailer(folder: string, log: Logger): Mailer {
  const render = lazyTransport<StreamTransport.SentMessageInfo>((nodemailer) =>
    nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" }),
  );
  return {
    description: `files in ${folder}`,
    async send(mail) {
      const info = await (await render.get()).sendMail(mail);
      await mkdir(folder, { recursive: true });
      const file = join(folder, `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomUUID().slice(0, 8)}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      log.info({ to: mail.to, file }, "mail written to the development outbox");
    },
    close: render.close,
  };
}
