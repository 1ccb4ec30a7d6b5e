import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

/** What commands may do with the terminal; tests pass a scripted one. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** Asks for a line; with `hidden`, the typed characters are not echoed. Undefined when no terminal answers. */
  prompt(question: string, options?: { hidden?: boolean }): Promise<string | undefined>;
  /** The first line piped on stdin (for --password-stdin). */
  readStdinLine(): Promise<string | undefined>;
}

export function terminalIO(stdin: Readable & { isTTY?: boolean }, stdout: Writable, stderr: Writable): CliIO {
  const lines = () => createInterface({ input: stdin, terminal: false })[Symbol.asyncIterator]();
  return {
    out: (line) => stdout.write(`${line}\n`),
    err: (line) => stderr.write(`${line}\n`),
    async prompt(question, options = {}) {
      if (!stdin.isTTY) return undefined;
      const rl = createInterface({ input: stdin, output: stdout, terminal: true });
      if (options.hidden) {
        // Echo nothing after the question while the secret is typed.
        const write = (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput.bind(rl);
        (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = (text) => {
          if (text.startsWith(question)) write(question);
        };
      }
      try {
        return await new Promise<string | undefined>((resolve) => {
          rl.once("close", () => resolve(undefined));
          rl.question(question, resolve);
        });
      } finally {
        if (options.hidden) stdout.write("\n");
        rl.close();
      }
    },
    async readStdinLine() {
      const next = await lines().next();
      return next.done ? undefined : String(next.value);
    },
  };
}
