// The little of PostgreSQL's wire protocol (v3) that the owner's socket needs
// to see: where a message ends, the handshake's requests, and the status of
// the session in each ReadyForQuery. Everything else passes through to PGlite.

export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 3 << 16;

/** The length of the first complete message in `buffer`, or 0 while it is incomplete. */
export function messageLength(buffer: Buffer, handshake: boolean): number {
  // Handshake messages have no type byte: length (itself included), then the body.
  const header = handshake ? 4 : 5;
  if (buffer.length < header) return 0;
  const length = (handshake ? 0 : 1) + buffer.readInt32BE(handshake ? 0 : 1);
  return buffer.length >= length ? length : 0;
}

export type Handshake = "ssl" | "cancel" | "startup" | "unsupported";

export function handshakeKind(message: Buffer): Handshake {
  const code = message.length >= 8 ? message.readInt32BE(4) : 0;
  if (code === SSL_REQUEST || code === GSSENC_REQUEST) return "ssl";
  if (code === CANCEL_REQUEST) return "cancel";
  return code >>> 16 === PROTOCOL_3 >>> 16 ? "startup" : "unsupported";
}

/**
 * The startup message passed to PGlite, whatever the client sent: the client's
 * own parameters (`options=-c …` among them) would otherwise become defaults of
 * the one session that the server shares.
 */
export function startupMessage(): Uint8Array {
  const body = Buffer.from("user\0postgres\0database\0postgres\0\0");
  const message = Buffer.alloc(8 + body.length);
  message.writeInt32BE(message.length, 0);
  message.writeInt32BE(PROTOCOL_3, 4);
  body.copy(message, 8);
  return message;
}

export const SYNC = Uint8Array.of(0x53, 0, 0, 0, 4);

/** The transaction status of the last ReadyForQuery in a response ('I', 'T' or 'E'), if it has one. */
export function readyStatus(response: Uint8Array): string | undefined {
  const view = Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  let status: string | undefined;
  for (let at = 0; at + 5 <= view.length; at += 1 + view.readInt32BE(at + 1)) {
    if (view[at] === 0x5a && at + 6 <= view.length) status = String.fromCharCode(view[at + 5] ?? 0);
  }
  return status;
}

/** An ErrorResponse, for the few errors the socket raises itself. */
export function errorResponse(severity: "ERROR" | "FATAL", code: string, message: string): Buffer {
  const fields = Buffer.from(`S${severity}\0V${severity}\0C${code}\0M${message}\0\0`);
  const header = Buffer.alloc(5);
  header.write("E", 0);
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}
