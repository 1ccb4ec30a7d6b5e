import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { type AccessLine, accessLogger } from "../../server/logger.js";
import { capturedLogger } from "../helpers/logs.js";

// The access log puts its line together itself (server/logger.ts); pino's own
// `info(fields, "request")` is the rule it must write exactly.

const withoutTime = (line: string) => line.replace(/,"time":\d+/, "");

function bothLines(line: AccessLine, make: (log: ReturnType<typeof capturedLogger>["log"]) => typeof log = (l) => l) {
  const captured = capturedLogger();
  const log = make(captured.log);
  accessLogger(log)(line);
  log.info({ ...line }, "request");
  expect(captured.lines).toHaveLength(2);
  return captured.lines as [string, string];
}

const line: AccessLine = {
  requestId: "0b7c3c1e-2f4a-4c7e-9d1a-3f2b1c0d9e8f",
  method: "POST",
  path: "/api/token/verify/",
  route: "/api/token/verify/",
  status: 200,
  ms: 3,
};

describe("the access log's line", () => {
  it("is pino's line for the same fields, byte for byte but the time", () => {
    const [ours, pinos] = bothLines(line);
    expect(withoutTime(ours)).toBe(withoutTime(pinos));
    expect(ours.endsWith("}\n")).toBe(true);
    const time = Number(/"time":(\d+)/.exec(ours)?.[1]);
    expect(Math.abs(time - Date.now())).toBeLessThan(5_000);
  });

  it("escapes what a client can put in a path or a request id as pino does", () => {
    const odd = {
      ...line,
      requestId: 'id"\\',
      path: '/api/"quoted"\\back\u0001\n\u2028é漢/',
      route: "unmatched",
      status: 404,
    };
    const [ours, pinos] = bothLines(odd);
    expect(withoutTime(ours)).toBe(withoutTime(pinos));
    expect(JSON.parse(ours)).toMatchObject(odd);
  });

  it("keeps the logger's bindings and follows its level", () => {
    const [ours, pinos] = bothLines(line, (log) => log.child({ worker: 2 }));
    expect(withoutTime(ours)).toBe(withoutTime(pinos));
    expect(JSON.parse(ours).worker).toBe(2);

    const quiet = capturedLogger();
    quiet.log.level = "warn";
    accessLogger(quiet.log)(line);
    expect(quiet.lines).toEqual([]);
  });

  it("with the server's own logger settings (pid only, redaction on): the same line", () => {
    const lines: string[] = [];
    const log = pino(
      { level: "info", base: { pid: process.pid }, redact: ["*.password"] },
      { write: (text: string) => void lines.push(text) },
    );
    accessLogger(log)(line);
    log.info({ ...line }, "request");
    expect(withoutTime(lines[0] as string)).toBe(withoutTime(lines[1] as string));
  });
});
