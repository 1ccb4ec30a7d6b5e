import { closeSync, constants, openSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

// One process at a time may open a PGlite directory: two PGlite instances on
// one directory overwrite each other's pages. The lock is held by the kernel
// for the life of the process, so a killed owner (kill -9, a crash, a power
// cut) leaves nothing that could block or fool the next one:
// - on Linux, a Unix socket bound in the abstract namespace under a name made
//   of the directory's device and inode numbers (any path to the directory
//   finds the same name); the kernel frees the name when the process ends;
// - on macOS and the BSDs, the lock file opened with O_EXLOCK;
// - on Windows, the lock file opened for exclusive access.

export interface DirectoryLock {
  release(): Promise<void>;
}

/** The lock, or undefined when another process holds it. */
export function lockDirectory(dir: string): Promise<DirectoryLock | undefined> {
  return process.platform === "linux" ? abstractSocketLock(dir) : Promise.resolve(fileLock(join(dir, LOCK_FILE)));
}

export const LOCK_FILE = "jwt-auth.lock";

function abstractSocketLock(dir: string): Promise<DirectoryLock | undefined> {
  const { dev, ino } = statSync(dir, { bigint: true });
  const server = createServer((connection) => connection.destroy());
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      error.code === "EADDRINUSE" ? resolve(undefined) : reject(error),
    );
    server.listen({ path: `\0jwt-auth/pglite/${dev}/${ino}` }, () => {
      server.unref();
      resolve({ release: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

// O_EXLOCK is not in Node's constants; its value is the same on every BSD.
const BSD_O_EXLOCK = 0x20;
const BSDS = new Set(["darwin", "freebsd", "openbsd", "netbsd"]);

function exclusiveOpenFlag(): number {
  const windows = (constants as { UV_FS_O_EXLOCK?: number }).UV_FS_O_EXLOCK;
  if (process.platform === "win32" && windows !== undefined) return windows;
  if (BSDS.has(process.platform)) return BSD_O_EXLOCK | constants.O_NONBLOCK;
  throw new Error(`cannot lock a PGlite directory on ${process.platform}: set DATABASE_URL to use PostgreSQL`);
}

function fileLock(path: string): DirectoryLock | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | exclusiveOpenFlag(), 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EWOULDBLOCK" || code === "EAGAIN" || code === "EBUSY") return undefined;
    throw error;
  }
  return { release: async () => closeSync(fd) };
}
