import { describe, expect, it } from "vitest";
import { procedureInfo, procedurePaths } from "../../server/procedure-table.js";
import { useTestApp } from "../helpers/app.js";
import { http, rawRequest } from "../helpers/http.js";
import { capturedLogger } from "../helpers/logs.js";
import { signUp } from "../helpers/users.js";

const logs = capturedLogger();
const app = useTestApp({ log: logs.log, env: { LOG_LEVEL: "debug" } });

// What a client typing a password by hand sends: JSON's parser would quote its start in its message.
const FRAGMENT = "Hunter-Fragment-77";
const BROKEN_JSON = `{"username":"alice","password":${FRAGMENT}}`;

const procedures = procedurePaths().map((path) => ({
  path,
  type: procedureInfo(path).type as "query" | "mutation",
}));

/** A query's input travels in `?input=`, a mutation's in the body. */
function sendBroken(path: string, type: "query" | "mutation", authorization?: string) {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  if (type === "query")
    return http(app().url, "GET", `/trpc/${path}?input=${encodeURIComponent(BROKEN_JSON)}`, { headers });
  return http(app().url, "POST", `/trpc/${path}`, {
    raw: BROKEN_JSON,
    headers: { ...headers, "content-type": "application/json" },
  });
}

const parseError = (path: string) => ({
  error: {
    message: expect.stringMatching(/^The input could not be parsed/),
    code: -32700,
    data: expect.objectContaining({ code: "PARSE_ERROR", httpStatus: 400, path, appCode: "parse_error" }),
  },
});

describe("tRPC input that cannot be parsed", () => {
  it("covers every procedure of the router, anonymous and authenticated", () => {
    expect(procedures.length).toBeGreaterThanOrEqual(21);
    expect(procedures.some(({ type }) => type === "query")).toBe(true);
    expect(procedures.some(({ type }) => type === "mutation")).toBe(true);
  });

  it("is a 400 PARSE_ERROR on every procedure for an authenticated caller, in the usual envelope", async () => {
    const { authorization } = await signUp(app());
    for (const { path, type } of procedures) {
      const res = await sendBroken(path, type, authorization);
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body).toEqual(parseError(path));
      expect(res.text).not.toContain(FRAGMENT);
    }
  });

  it("is a 400 on every anonymous procedure; protected ones refuse the missing token first (401)", async () => {
    for (const { path, type } of procedures) {
      const res = await sendBroken(path, type);
      if (res.status === 401) {
        expect(res.body.error.data.appCode).toBe("not_authenticated");
        continue;
      }
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body).toEqual(parseError(path));
    }
    const anonymous = ["auth.register", "auth.obtainToken", "otp.request", "passwordReset.confirm"];
    for (const path of anonymous) expect((await sendBroken(path, "mutation")).status).toBe(400);
  });

  it("is a 400 for a broken multipart body and for each call of a batch", async () => {
    const { authorization } = await signUp(app());
    const multipart = await http(app().url, "POST", "/trpc/auth.obtainToken", {
      raw: `--x\r\nContent-Disposition: form-data; name="password"\r\n\r\n${FRAGMENT}`,
      headers: { "content-type": "multipart/form-data; boundary=x" },
    });
    expect([multipart.status, multipart.body]).toEqual([400, parseError("auth.obtainToken")]);
    const batch = await http(
      app().url,
      "GET",
      `/trpc/user.me,task.list?batch=1&input=${encodeURIComponent(BROKEN_JSON)}`,
      {
        headers: { authorization },
      },
    );
    expect(batch.status).toBe(400);
    expect(batch.body).toEqual([parseError("user.me"), parseError("task.list")]);
  });

  it("is not run: a procedure without input does nothing with a broken body", async () => {
    const { authorization } = await signUp(app());
    const broken = await http(app().url, "POST", "/trpc/user.revokeAllSessions", {
      raw: BROKEN_JSON,
      headers: { authorization, "content-type": "application/json" },
    });
    expect(broken.status).toBe(400);
    // Had it run, every access token issued so far would be refused now.
    expect((await http(app().url, "GET", "/trpc/user.me", { headers: { authorization } })).status).toBe(200);
  });

  it("is logged at debug level at most, without the body", async () => {
    const before = logs.lines.length;
    const { authorization } = await signUp(app());
    for (const { path, type } of procedures) await sendBroken(path, type, authorization);
    const lines = logs.lines.slice(before).map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.filter((line) => line.level > 30)).toEqual([]);
    expect(lines.filter((line) => line.msg === "unparseable tRPC input").length).toBe(procedures.length);
    expect(logs.lines.join("\n")).not.toContain(FRAGMENT);
  });

  it("answers a head over 16 KiB on /trpc/ with the tRPC envelope (and REST's detail)", async () => {
    const res = await rawRequest(app().url, "GET", "/trpc/user.me", { "x-big": "y".repeat(20_000) });
    expect(res.status).toBe(431);
    expect(JSON.parse(res.text)).toEqual({
      detail: "Request Header Fields Too Large.",
      error: {
        message: "Request Header Fields Too Large.",
        code: -32600,
        data: { code: "BAD_REQUEST", httpStatus: 431, appCode: "header_fields_too_large" },
      },
    });
  });
});
