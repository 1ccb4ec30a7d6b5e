import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout's root, found from this file so that the same code works from
 * `server/` (tests, tsx) and from the compiled `dist/server/`.
 */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "migrations"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the project root (a folder with migrations/)");
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot();
export const migrationsDir = join(projectRoot, "migrations");
export const dataFile = (...parts: string[]) => join(projectRoot, "server", "data", ...parts);
export const fromRoot = (path: string) => resolve(projectRoot, path);
