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
