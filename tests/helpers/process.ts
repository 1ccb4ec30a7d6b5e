import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../../server/paths.js";
import { TEST_SIGNING_KEY } from "./app.js";

export const entry = (name: "server" | "cli") =>
  join(projectRoot, "dist", "server", name === "server" ? "main.js" : "cli/main.js");

/** A clean environment: nothing leaks in from the test runner's own. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    JWT_SIGNING_KEY: TEST_SIGNING_KEY,
    PORT: "0",
    HOST: "127.0.0.1",
    PRUNE_INTERVAL: "86400",
    // Behind the CI job's PgBouncer, the servers under test must not name their statements either.
    ...(process.env.DATABASE_PREPARED_STATEMENTS
      ? { DATABASE_PREPARED_STATEMENTS: process.env.DATABASE_PREPARED_STATEMENTS }
      : {}),
    // Never the checkout's own .env.
    ENV_FILE: "/dev/null",
    ...extra,
  };
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runToExit(file: string, args: string[], env: Record<string, string>, stdin?: string): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { env, cwd: projectRoot });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

export interface RunningServer {
  child: ChildProcess;
  port: number;
  url: string;
  logs: () => Array<Record<string, unknown>>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node dist/server/main.js` (or `file`) and waits for its "listening" log line(s). */
export function startServer(
  env: Record<string, string>,
  listeners = 1,
  file = entry("server"),
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env, cwd: projectRoot });
    const lines: Array<Record<string, unknown>> = [];
    let buffer = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start: ${stderr}\n${JSON.stringify(lines)}`));
    }, 60_000);
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
    let started = false;
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
        try {
          lines.push(JSON.parse(line));
        } catch {
          continue;
        }
        const listening = lines.filter((entry) => entry.msg === "listening");
        if (!started && listening.length === listeners) {
          started = true;
          clearTimeout(timer);
          child.removeAllListeners("exit");
          const port = Number(listening[0]?.port);
          resolve({
            child,
            port,
            url: `http://127.0.0.1:${port}`,
            logs: () => lines,
            stop: () =>
              new Promise((done) => {
                if (child.exitCode !== null) return done(child.exitCode);
                child.once("exit", (code) => done(code));
                child.kill("SIGTERM");
              }),
          });
        }
      }
    });
  });
}
