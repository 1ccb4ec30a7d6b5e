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

// Printable ASCII but `"` and `\`: quoted as it is, which JSON.stringify would do too, only slower.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const quoted = (text: string) => (PLAIN.test(text) ? `"${text}"` : JSON.stringify(text));

/** One access-log line: fixed fields, none of them secret (the path comes without its query string). */
export interface AccessLine {
  requestId: string;
  method: string;
  path: string;
  route: string;
  status: number;
  ms: number;
}

/**
 * The access log: for each request the line `log.info(line, "request")` would
 * write, with the logger's level, time and bindings, to its destination. The
 * fields are fixed, so the line is put together here: pino's general
 * serializer (and before it the redaction, which clones every line it checks)
 * cost more than the rest of logging a request (bench/README.md).
 * tests/unit/access-log.test.ts holds the two lines to the same text.
 */
export function accessLogger(log: Logger): (line: AccessLine) => void {
  const internals = log as unknown as Record<symbol, unknown>;
  const destination = internals[pino.symbols.streamSym] as { write(text: string): void };
  const time = internals[pino.symbols.timeSym] as () => string;
  const bindings = internals[pino.symbols.chindingsSym] as string;
  const start = `{"level":${log.levels.values.info}`;
  return (line) => {
    if (!log.isLevelEnabled("info")) return;
    destination.write(
      `${start}${time()}${bindings},"requestId":${quoted(line.requestId)},"method":${quoted(line.method)},` +
        `"path":${quoted(line.path)},"route":${quoted(line.route)},"status":${line.status},"ms":${line.ms},"msg":"request"}\n`,
    );
  };
}
