import type { Config } from "./config/config.js";
import type { Secrets } from "./crypto/secrets.js";
import type { Db } from "./db/connect.js";
import type { Logger } from "./logger.js";
import type { MailQueue } from "./mail/queue.js";
import type { Metrics } from "./observability/metrics.js";
import type { PasswordHasher } from "./services/passwords.js";
import type { TokenService } from "./services/tokens.js";

/** Everything the procedures need that lives as long as the app: built once in createApp. */
export interface Deps {
  config: Config;
  db: Db;
  tokens: TokenService;
  hasher: PasswordHasher;
  secrets: Secrets;
  mail: MailQueue;
  metrics: Metrics;
  log: Logger;
}
