import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// Who holds a PGlite directory, for the processes that find it locked: the
// server's socket to connect through, or a name for the refusal. Written by
// the lock's holder only, so a file left by a killed owner is simply
// overwritten by the next one; readers trust it only while its pid lives.

export interface Owner {
  pid: number;
  role: "server" | "cli";
  /** What the process is, for people: `npm start`, `manage user list`. */
  title: string;
  /** The Unix socket it serves the database on (servers, once ready). */
  socket?: string;
}

export const OWNER_FILE = "jwt-auth-owner.json";

export function writeOwner(dir: string, owner: Owner): void {
  const path = join(dir, OWNER_FILE);
  // Written aside, then renamed: a reader never sees half a file.
  writeFileSync(`${path}.${process.pid}`, JSON.stringify(owner), { mode: 0o600 });
  renameSync(`${path}.${process.pid}`, path);
}

export function removeOwner(dir: string): void {
  rmSync(join(dir, OWNER_FILE), { force: true });
}

/** The recorded owner if that process still runs; undefined otherwise. */
export function readLiveOwner(dir: string): Owner | undefined {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), "utf8")) as Owner;
  } catch {
    return undefined;
  }
  return Number.isInteger(owner.pid) && isRunning(owner.pid) ? owner : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
