import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config/config.js";
import { createSecrets } from "./crypto/secrets.js";
import { connectDatabase, type DatabaseHandle } from "./db/connect.js";
import type { Deps } from "./deps.js";
import { drainConnections } from "./http/drain.js";
import { createHttpServer } from "./http/server.js";
import { createLogger, type Logger } from "./logger.js";
import { fileMailer, type Mailer, smtpMailer } from "./mail/mailer.js";
import { createMailQueue } from "./mail/queue.js";
import { createOutboxSender, DEFAULT_SENDER_OPTIONS, type OutboxSender, type SenderOptions } from "./mail/sender.js";
import { createMetrics } from "./observability/metrics.js";
import { limitConcurrency } from "./services/concurrency-limit.js";
import { loadCommonPasswords } from "./services/password-policy.js";
import { ARGON2_DEFAULTS, createArgon2Hasher, type PasswordHasher } from "./services/passwords.js";
import { createPruner } from "./services/pruning.js";
import { createTokenService } from "./services/tokens.js";

export interface AppOverrides {
  /** An open database (tests pass their own isolated one); by default one is opened from config. */
  database?: DatabaseHandle;
  hasher?: PasswordHasher;
  log?: Logger;
  /** By default SMTP_URL's server, or .eml files in the development outbox. */
  mailer?: Mailer;
  /** Retry timings (tests shorten them). */
  sender?: Partial<SenderOptions>;
}

export interface App {
  deps: Deps;
  server: Server;
  /** Delivers the outbox; started with the server. */
  sender: OutboxSender;
  /** Listens on config.http.port (0 picks a free port); resolves to the bound port. */
  start(): Promise<number>;
  /**
   * Stops accepting connections (after `keepAcceptingMs`), lets in-flight
   * requests finish, closes the connections, then the database.
   */
  stop(keepAcceptingMs?: number): Promise<void>;
}

/** The composition root: every long-lived part is built here and nowhere else. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const log = overrides.log ?? createLogger(config.log.level);
  const database =
    overrides.database ??
    (await connectDatabase({ ...config.database, opener: { role: "server", title: "npm start" } }));
  loadCommonPasswords();
  const secrets = createSecrets(config.secretKey);
  const mailer =
    overrides.mailer ??
    (config.mail.smtpUrl ? smtpMailer(config.mail.smtpUrl) : fileMailer(config.mail.outboxDir, log));
  const sender = createOutboxSender(
    { db: database.db, mailer, secrets, log, from: config.mail.from },
    { ...DEFAULT_SENDER_OPTIONS, ...overrides.sender },
  );
  const deps: Deps = {
    config,
    db: database.db,
    tokens: await createTokenService(config.jwt),
    hasher: overrides.hasher ?? createArgon2Hasher(ARGON2_DEFAULTS, limitConcurrency(config.passwordHashConcurrency)),
    secrets,
    mail: createMailQueue(secrets, () => sender.wake()),
    metrics: createMetrics(database.db),
    log,
  };
  const pruner = createPruner(database.db, log, config.pruneInterval);
  const lifecycle = { draining: false };
  const server = createHttpServer(deps, lifecycle);

  return {
    deps,
    server,
    sender,
    start: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.http.port, config.http.host, () => {
          server.off("error", reject);
          log.info({ mail: mailer.description }, "outbox sender started");
          sender.start();
          pruner.start();
          resolve((server.address() as AddressInfo).port);
        });
      }),
    async stop(keepAcceptingMs = 0) {
      lifecycle.draining = true;
      if (keepAcceptingMs > 0) await new Promise((resolve) => setTimeout(resolve, keepAcceptingMs));
      await drainConnections(server);
      await Promise.all([sender.stop(), pruner.stop()]);
      if (!overrides.database) await database.close();
    },
  };
}
