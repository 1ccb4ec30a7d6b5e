import { type AddressInfo, createServer } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export type SmtpMode = "accept" | "refuse" | "hang";

export interface Delivered {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  raw: ParsedMail;
}

export interface TestSmtp {
  url: string;
  port: number;
  delivered: Delivered[];
  /** accept (default), refuse every recipient with 550, or never finish the DATA phase. */
  mode: SmtpMode;
  /** In accept mode, how long each mail takes to be accepted (a slow server). */
  delayMs: number;
  /** Resolves with the first delivered mail (now or later) that matches. */
  waitFor(match: (mail: Delivered) => boolean, timeoutMs?: number): Promise<Delivered>;
  /** Closes the listener: the port then refuses connections, as a down server does. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

/** A free TCP port on loopback, for a server that must be "down" before it first starts. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A real SMTP server in this process (smtp-server), parsing what it receives (mailparser). */
export async function startSmtp(options: { port?: number; listen?: boolean } = {}): Promise<TestSmtp> {
  const port = options.port ?? (await freePort());
  const waiters: Array<{ match: (mail: Delivered) => boolean; resolve: (mail: Delivered) => void }> = [];
  let server: SMTPServer | undefined;

  const state: TestSmtp = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    delivered: [],
    mode: "accept",
    delayMs: 0,
    waitFor(match, timeoutMs = 10_000) {
      const found = state.delivered.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `no matching mail within ${timeoutMs} ms; delivered: ${state.delivered.map((m) => `${m.to}: ${m.subject}`).join("; ")}`,
            ),
          );
        }, timeoutMs).unref();
      });
    },
    async stop() {
      const current = server;
      server = undefined;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    async restart() {
      await state.stop();
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ["STARTTLS"],
        // Connections left hanging by a test are cut at once when it stops the server.
        closeTimeout: 100,
        logger: false,
        onRcptTo(_address, _session, callback) {
          if (state.mode !== "refuse") return callback();
          callback(Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 }));
        },
        onData(stream, _session, callback) {
          if (state.mode === "hang") {
            stream.resume();
            return;
          }
          const accepted = simpleParser(stream).then(async (parsed) => {
            if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
            return parsed;
          });
          accepted.then((parsed) => {
            const mail: Delivered = {
              to: (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).map((a) => a.text).join(", "),
              from: parsed.from?.text ?? "",
              subject: parsed.subject ?? "",
              text: parsed.text ?? "",
              html: typeof parsed.html === "string" ? parsed.html : "",
              raw: parsed,
            };
            state.delivered.push(mail);
            for (const waiter of [...waiters]) {
              if (waiter.match(mail)) {
                waiters.splice(waiters.indexOf(waiter), 1);
                waiter.resolve(mail);
              }
            }
            callback();
          }, callback);
        },
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once("error", reject);
        listening.listen(port, "127.0.0.1", () => resolve());
      });
    },
  };
  if (options.listen !== false) await state.restart();
  return state;
}

/** The six-digit code of an OTP mail (the only six-digit number in it). */
export function otpCode(mail: Delivered): string {
  const codes = new Set(mail.text.match(/\b\d{6}\b/g) ?? []);
  if (codes.size !== 1) throw new Error(`expected one six-digit number, found ${[...codes].join(", ") || "none"}`);
  return [...codes][0] as string;
}

/** The uid and token lines of a reset mail. */
export function resetCredentials(mail: Delivered): { uid: string; token: string } {
  const uid = /^uid: (\S+)$/m.exec(mail.text)?.[1];
  const token = /^token: (\S+)$/m.exec(mail.text)?.[1];
  if (!uid || !token) throw new Error(`no uid/token in: ${mail.text}`);
  return { uid, token };
}
