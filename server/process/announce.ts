import type { Logger } from "../logger.js";

export interface Listening {
  host: string | undefined;
  port: number;
  workers: number;
  database: "postgres" | "pglite";
}

/** The address to type into a browser: `localhost` for every interface, brackets for IPv6. */
export function baseUrl(host: string | undefined, port: number): string {
  const name = host === undefined || host === "0.0.0.0" || host === "::" ? "localhost" : host;
  return `http://${name.includes(":") ? `[${name}]` : name}:${port}`;
}

/**
 * The start-up line, once the server answers: where the API and its
 * reference are. A person at a terminal gets a sentence; a log collector a
 * JSON line like every other.
 */
export function announce(listening: Listening, log: Logger, out: NodeJS.WriteStream = process.stdout): void {
  const url = baseUrl(listening.host, listening.port);
  const docs = `${url}/api/docs`;
  if (out.isTTY) {
    const processes = listening.workers === 1 ? "1 process" : `${listening.workers} worker processes`;
    out.write(`Serving on ${url} (${processes}, ${listening.database}): API reference at ${docs}\n`);
    return;
  }
  log.info({ url, docs, workers: listening.workers, database: listening.database }, "ready");
}
