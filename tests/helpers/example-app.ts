import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../../server/paths.js";

const execFileAsync = promisify(execFile);

export const exampleDir = join(projectRoot, "examples", "react-app");

const run = (file: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileAsync(file, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });

/**
 * The example as its README builds it: its own dependencies (`npm ci` in its
 * folder; CI does this first, and so does this function when they are
 * missing), the SDK built from the repository (its `file:` dependency), a
 * typecheck, and one build per auth mode: dist/token and dist/cookie.
 */
export async function buildExample(): Promise<{ token: string; cookie: string }> {
  if (!existsSync(join(exampleDir, "node_modules", ".package-lock.json"))) {
    await run("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], exampleDir);
  }
  await run(process.execPath, [join(projectRoot, "client-sdk", "build.mjs")], projectRoot);
  await run(process.execPath, [join(exampleDir, "node_modules", "typescript", "bin", "tsc"), "--noEmit"], exampleDir);
  const vite = join(exampleDir, "node_modules", "vite", "bin", "vite.js");
  const out = { token: join(exampleDir, "dist", "token"), cookie: join(exampleDir, "dist", "cookie") };
  for (const mode of ["token", "cookie"] as const) {
    await run(
      process.execPath,
      [vite, "build", "--outDir", out[mode], "--emptyOutDir", "--logLevel", "warn"],
      exampleDir,
      {
        VITE_AUTH_MODE: mode,
      },
    );
  }
  return out;
}
