import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

/** What commands may do with the terminal; tests pass a scripted one. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** Whether a person answers (stdin is a terminal). */
  interactive: boolean;
  /** Asks for a line; with `hidden`, the typed characters are not echoed. Undefined when no terminal answers. */
  prompt(question: string, options?: { hidden?: boolean }): Promise<string | undefined>;
  /** The first line piped on stdin (for --password-stdin). */
  readStdinLine(): Promise<string | undefined>;
  /** Every line of stdin; at a terminal, each is asked for with `prompt()`. */
  lines(prompt: () => string): AsyncIterable<string>;
  /**
   * Runs a program on this terminal (dbshell's psql), in this process's
   * environment plus `env`; resolves to its exit code, rejects with ENOENT
   * when it is not installed.
   */
  runProgram(file: string, args: string[], env: Record<string, string>): Promise<number>;
}

export function terminalIO(stdin: Readable & { isTTY?: boolean }, stdout: Writable, stderr: Writable): CliIO {
  const interactive = Boolean(stdin.isTTY);
  return {
    out: (line) => stdout.write(`${line}\n`),
    err: (line) => stderr.write(`${line}\n`),
    interactive,
    async prompt(question, options = {}) {
      if (!interactive) return undefined;
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
      const next = await createInterface({ input: stdin, terminal: false })[Symbol.asyncIterator]().next();
      return next.done ? undefined : String(next.value);
    },
    async *lines(prompt) {
      const rl = createInterface({ input: stdin, ...(interactive ? { output: stdout, terminal: true } : {}) });
      const iterator = rl[Symbol.asyncIterator]();
      try {
        for (;;) {
          if (interactive) {
            rl.setPrompt(prompt());
            rl.prompt();
          }
          const next = await iterator.next();
          if (next.done) return;
          yield next.value;
        }
      } finally {
        rl.close();
      }
    },
    runProgram: (file, args, env) =>
      new Promise((resolve, reject) => {
        const child = spawn(file, args, { stdio: "inherit", env: { ...process.env, ...env } });
        child.once("error", reject);
        child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
      }),
  };
}
