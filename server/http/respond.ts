import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/** What Django's SecurityMiddleware and XFrameOptionsMiddleware add to every response. */
export const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
};

export interface Reply {
  status: number;
  headers: Record<string, string>;
  /** Already serialized; undefined sends no body. */
  body: string | undefined;
}

export const jsonReply = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers,
  body: JSON.stringify(body),
});

/** Writes `reply` in one call, after `common` (what every response carries). */
export function send(
  res: ServerResponse,
  reply: Reply,
  headOnly: boolean,
  common: Readonly<Record<string, string>> = {},
): void {
  const { status, body } = reply;
  const headers: Record<string, string> =
    body === undefined
      ? { ...common, ...reply.headers, Vary: VARY }
      : {
          ...common,
          "Content-Type": "application/json",
          ...reply.headers,
          Vary: VARY,
          "Content-Length": String(Buffer.byteLength(body)),
        };
  // The client may still be sending a body we refused to read.
  if (status === 413) headers.Connection = "close";
  res.writeHead(status, headers);
  res.end(headOnly ? undefined : body);
}

const VARY = "Accept, Origin";

/**
 * Requests Node's parser refuses (an unknown method, a head over 16 KiB, bad
 * framing) still get a JSON answer with the usual headers, then the socket closes.
 * The parser stops before it hands over the path, so the body carries both
 * envelopes: REST's `{detail}` and tRPC's `{error}` (for /trpc/ clients).
 */
export function answerMalformedRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, appCode, trpcCode, rpcCode] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large", "header_fields_too_large", "BAD_REQUEST", -32600]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout", "request_timeout", "TIMEOUT", -32008]
        : [400, "Bad Request", "parse_error", "PARSE_ERROR", -32700];
  const message = `${reason}.`;
  const body = JSON.stringify({
    detail: message,
    error: { message, code: rpcCode, data: { code: trpcCode, httpStatus: status, appCode } },
  });
  const headers = Object.entries({
    ...SECURITY_HEADERS,
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
    Connection: "close",
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${headers}\r\n${body}`);
}
