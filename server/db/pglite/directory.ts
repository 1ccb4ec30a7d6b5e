import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { lockDirectory } from "./lock.js";
import { type Owner, readLiveOwner, removeOwner, writeOwner } from "./owner-file.js";
import { PgliteSession } from "./session.js";
import { serveOverSocket, type WireServer } from "./wire-server.js";

// A PGlite directory is opened by one process, its owner. A server owns it and
// serves it on a socket; a `manage` command connects through that socket when
// a server runs, and otherwise owns the directory itself for as long as it
// runs. Anyone else is refused, with a reason that names the owner.

export interface Opener {
  /** A server serves the directory to others; a client goes through a serving owner when there is one. */
  role: "server" | "client";
  /** For the refusals others see: `npm start`, `manage user list`. */
  title: string;
  onError?(error: unknown): void;
}

export interface OwnedDirectory {
  pglite: PGlite;
  session: PgliteSession;
  close(): Promise<void>;
}

export type DirectoryAccess<Client> = { owned: OwnedDirectory } | { client: Client };

/** Refusal to open a directory that another process holds: one line, for the operator. */
export class DirectoryBusyError extends Error {}

// pg finds a socket as <dir>/.s.PGSQL.<port>, as it finds PostgreSQL's.
export const SOCKET_PORT = 5432;
const SOCKET_NAME = `.s.PGSQL.${SOCKET_PORT}`;
// A Unix socket's path must fit in 104 bytes (macOS) or 108 (Linux).
const MAX_SOCKET_PATH = 100;
const IDLE_IN_TRANSACTION_MS = 10_000;
// How long a client waits for a server that is starting (creating or migrating the database) or stopping.
const WAIT_FOR_SERVER_MS = 30_000;
// How long the lock may be held by a process that has not said who it is.
const WAIT_FOR_RECORD_MS = 2_000;

/**
 * Owns the directory, or (a client, while a server owns it) connects through
 * the server's socket with `through`. A server that is starting or stopping is
 * waited for.
 */
export async function openDirectory<Client>(
  dir: string,
  opener: Opener,
  through: (socket: string) => Promise<Client>,
): Promise<DirectoryAccess<Client>> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + WAIT_FOR_SERVER_MS;
  let unknownUntil: number | undefined;
  for (;;) {
    const owned = await tryToOwn(dir, opener);
    if (owned) return { owned };
    // The holder writes its record right after taking the lock, and removes it just before letting go.
    const owner = readLiveOwner(dir);
    if (owner) {
      unknownUntil = undefined;
      if (opener.role === "server" || owner.role !== "server") throw new DirectoryBusyError(busy(dir, owner));
      if (owner.socket) {
        try {
          return { client: await through(owner.socket) };
        } catch (error) {
          if (!isUnreachable(error)) throw error;
        }
      }
    } else {
      unknownUntil ??= Date.now() + WAIT_FOR_RECORD_MS;
      if (Date.now() > unknownUntil) throw new DirectoryBusyError(busy(dir, undefined));
    }
    if (Date.now() > deadline) throw new DirectoryBusyError(`${busy(dir, owner)}, which does not answer`);
    await pause(50);
  }
}

const isUnreachable = (error: unknown) =>
  ["ECONNREFUSED", "ENOENT", "ECONNRESET", "EPIPE"].includes((error as NodeJS.ErrnoException).code ?? "");

function busy(dir: string, owner: Owner | undefined): string {
  const who = owner ? `${owner.title} (pid ${owner.pid})` : "another process";
  return `the PGlite database in ${dir} is in use by ${who}`;
}

async function tryToOwn(dir: string, opener: Opener): Promise<OwnedDirectory | undefined> {
  const lock = await lockDirectory(dir);
  if (!lock) return undefined;
  const owner: Owner = { pid: process.pid, role: opener.role === "server" ? "server" : "cli", title: opener.title };
  let wire: WireServer | undefined;
  let socketDir: string | undefined;
  let pglite: PGlite | undefined;
  const session = new PgliteSession();
  const release = async () => {
    await wire?.close();
    await session.idle();
    if (pglite && !pglite.closed) await pglite.close();
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
    removeOwner(dir);
    await lock.release();
  };
  try {
    writeOwner(dir, owner);
    // Loaded only here: its WebAssembly build would sit unused in every PostgreSQL worker's heap.
    const { PGlite } = await import("@electric-sql/pglite");
    pglite = await PGlite.create(dir, { relaxedDurability: false });
    if (opener.role === "server" && process.platform !== "win32") {
      let socket = join(dir, SOCKET_NAME);
      if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
        socketDir = mkdtempSync(join(tmpdir(), "jwt-auth-pglite-"));
        socket = join(socketDir, SOCKET_NAME);
      }
      wire = await serveOverSocket(pglite, session, socket, {
        idleInTransactionMs: IDLE_IN_TRANSACTION_MS,
        onError: opener.onError ?? (() => {}),
      });
      writeOwner(dir, { ...owner, socket });
    }
    const opened = pglite;
    return { pglite: opened, session, close: release };
  } catch (error) {
    await release();
    throw error;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** pg's host and port for a socket path. */
export const socketAddress = (socket: string) => ({ host: dirname(socket), port: SOCKET_PORT });
