import type { Config } from "../../config/config.js";
import type { DatabaseHandle, Db } from "../../db/connect.js";
import type { MailQueue } from "../../mail/queue.js";
import type { PasswordHasher } from "../../services/passwords.js";
import type { CliIO } from "../io.js";

export interface CommandContext {
  config: Config;
  /** The open database; `db` is its Kysely. */
  database: DatabaseHandle;
  db: Db;
  hasher: PasswordHasher;
  /** Mail written here is delivered by the running server's outbox sender. */
  mail: MailQueue;
  io: CliIO;
}

/** A failure to report as one line on stderr, with a non-zero exit. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
