import { spawn } from "node:child_process";
import type { CliIO } from "../../server/cli/io.js";

export interface ScriptedIO {
  io: CliIO;
  out: string[];
  err: string[];
}

/**
 * A terminal that answers prompts from `answers` (a person typing; undefined
 * once they run out, as at end of input), and pipes `stdin` to --password-stdin,
 * the SQL prompt and the programs it runs, whose output is captured too.
 */
export function scriptedIO(options: { answers?: string[]; stdin?: string; interactive?: boolean } = {}): ScriptedIO {
  const answers = [...(options.answers ?? [])];
  const out: string[] = [];
  const err: string[] = [];
  const stdinLines = () => (options.stdin ?? "").split("\n").filter((line, i, all) => i < all.length - 1 || line);
  const io: CliIO = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    interactive: options.interactive ?? options.answers !== undefined,
    prompt: async () => answers.shift(),
    readStdinLine: async () => stdinLines()[0],
    async *lines() {
      yield* options.interactive ? answers.splice(0) : stdinLines();
    },
    runProgram: (file, args, env) =>
      new Promise((resolve, reject) => {
        const child = spawn(file, args, { env: { PATH: process.env.PATH, ...env } });
        child.stdout.on("data", (chunk) => out.push(...String(chunk).trimEnd().split("\n")));
        child.stderr.on("data", (chunk) => err.push(...String(chunk).trimEnd().split("\n")));
        child.once("error", reject);
        child.once("exit", (code) => resolve(code ?? 1));
        child.stdin.end(options.stdin ?? "");
      }),
  };
  return { io, out, err };
}
