import { type Logger, pino } from "pino";
import type { Config } from "./config/config.js";

export type { Logger };

/** JSON lines on stdout; request ids come from child loggers, secrets are redacted by path. */
export function createLogger(level: Config["log"]["level"]): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: {
      paths: [
        "password",
        "*.password",
        "token",
        "*.token",
        "refresh",
        "*.refresh",
        "access",
        "*.access",
        "otp",
        "*.otp",
        "authorization",
        "*.authorization",
      ],
      censor: "[redacted]",
    },
  });
}

/**
 * The access log's own logger. Its lines hold only fixed fields (request id,
 * method, a path without its query string, route, status, ms), so it skips
 * the redaction, which clones every line it checks: most of the cost of
 * logging a request (bench/README.md).
 */
export const accessLogger = (log: Logger): Logger => log.child({}, { redact: { paths: [] } });
