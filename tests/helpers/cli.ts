import type { CliIO } from "../../server/cli/io.js";

export interface ScriptedIO {
  io: CliIO;
  out: string[];
  err: string[];
}

/**
 * A terminal that answers prompts from `answers` (a person typing; undefined
 * once they run out, as at end of input), and pipes `stdin` to --password-stdin.
 */
export function scriptedIO(options: { answers?: string[]; stdin?: string } = {}): ScriptedIO {
  const answers = [...(options.answers ?? [])];
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    prompt: async () => answers.shift(),
    readStdinLine: async () => options.stdin?.split("\n")[0],
  };
  return { io, out, err };
}
