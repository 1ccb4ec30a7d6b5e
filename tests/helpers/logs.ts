import { pino } from "pino";
import type { Logger } from "../../server/logger.js";

/** A logger whose JSON lines are kept, to assert on what was (and was not) logged. */
export function capturedLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: "trace" }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}
