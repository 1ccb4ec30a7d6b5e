import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import type { PgliteSession, Release } from "./session.js";
import { errorResponse, handshakeKind, messageLength, readyStatus, SYNC, startupMessage } from "./wire-protocol.js";

// The owner's PGlite, served over PostgreSQL's wire protocol on a Unix socket
// (mode 0600: only this user connects), so that `manage` commands work while
// the server runs. PGlite is one session; the socket shares it the way
// PgBouncer's transaction pooling shares a server connection: a client holds
// the session lock from its first message until PGlite is idle again (the
// end of its statement or transaction), and the session is then reset
// (DISCARD ALL), so nothing a client sets outlives its transaction.

export interface WireServerOptions {
  /** A client that keeps the session (inside a transaction) and sends nothing for this long is disconnected. */
  idleInTransactionMs: number;
  onError(error: unknown): void;
}

export interface WireServer {
  close(): Promise<void>;
}

export async function serveOverSocket(
  pglite: PGlite,
  session: PgliteSession,
  path: string,
  options: WireServerOptions,
): Promise<WireServer> {
  const connections = new Set<WireConnection>();
  const server: Server = createServer((socket) => {
    const connection = new WireConnection(socket, pglite, session, options);
    connections.add(connection);
    socket.once("close", () => connections.delete(connection));
  });
  // A socket file left by a killed owner: the directory lock says nobody serves it now.
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return {
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((connection) => connection.close()));
      await closed;
      rmSync(path, { force: true });
    },
  };
}

class WireConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private closed = false;
  private release: Release | undefined;
  private pumping: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private cleanedUp: Promise<void> | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly pglite: PGlite,
    private readonly session: PgliteSession,
    private readonly options: WireServerOptions,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      clearTimeout(this.idleTimer);
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.pumping ??= this.pump().finally(() => {
        this.pumping = undefined;
      });
    });
    socket.on("error", () => {});
    socket.on("close", () => void this.close());
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const length = messageLength(this.buffer, !this.started);
        if (this.closed || length === 0) break;
        const message = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        await this.handle(message);
      }
    } catch (error) {
      if (!this.closed) this.options.onError(error);
      void this.close();
      return;
    }
    if (this.release && !this.closed) {
      this.idleTimer = setTimeout(() => {
        this.send(errorResponse("FATAL", "25P03", "terminating connection due to idle-in-transaction timeout"));
        void this.close();
      }, this.options.idleInTransactionMs);
    }
  }

  private async handle(message: Buffer): Promise<void> {
    if (!this.started) {
      const kind = handshakeKind(message);
      if (kind === "ssl") return this.send(Buffer.from("N"));
      if (kind !== "startup") return void this.close();
      this.started = true;
      return this.execute(startupMessage());
    }
    if (message[0] === 0x58) return void this.close(); // Terminate
    return this.execute(message);
  }

  private async execute(message: Uint8Array): Promise<void> {
    this.release ??= await this.session.acquire();
    const response = await this.pglite.execProtocolRaw(message);
    this.send(response);
    // Until PGlite says it is idle (a statement's Sync, a transaction's end), the session stays this client's.
    if (readyStatus(response) === "I") await this.resetAndRelease();
  }

  private async resetAndRelease(): Promise<void> {
    try {
      await this.pglite.exec("discard all");
    } finally {
      this.release?.();
      this.release = undefined;
    }
  }

  private send(data: Uint8Array): void {
    if (!this.closed && data.length > 0) this.socket.write(data);
  }

  /** Ends the connection; whatever it left open in the session is rolled back. */
  close(): Promise<void> {
    this.cleanedUp ??= this.cleanUp();
    return this.cleanedUp;
  }

  private async cleanUp(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    // What was written (an error saying why) still goes out; a peer that never closes is cut off.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
    await this.pumping;
    if (!this.started) return;
    try {
      this.release ??= await this.session.acquire();
      // Ends a half-sent extended-protocol exchange, then any transaction.
      const status = readyStatus(await this.pglite.execProtocolRaw(SYNC));
      if (status !== "I") await this.pglite.exec("rollback");
      await this.resetAndRelease();
    } catch (error) {
      this.release?.();
      this.release = undefined;
      if (!this.pglite.closed) this.options.onError(error);
    }
  }
}
