import type { Server } from "node:http";
import { Server as NetServer } from "node:net";

/**
 * How long idle keep-alive connections stay open once the server stops
 * accepting: a request already on its way on one (in the socket's buffer, or
 * on the wire) is read and answered instead of being cut with a reset.
 */
export const IDLE_GRACE_MS = 250;
const SWEEP_MS = 100;

/**
 * Stops accepting connections and resolves once every open one has closed:
 * requests in flight finish (their responses carry `Connection: close`, see
 * server.ts), then idle connections are closed, politely (FIN), after the grace.
 */
export function drainConnections(server: Server, graceMs = IDLE_GRACE_MS): Promise<void> {
  return new Promise((resolve) => {
    let sweeper: NodeJS.Timeout | undefined;
    const grace = setTimeout(() => {
      // http's close also stops its request-timeout checks; idle connections go now, and
      // those that turn idle after a response that started before the drain go at the next sweep.
      server.close();
      sweeper = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
    }, graceMs);
    server.once("close", () => {
      clearTimeout(grace);
      clearInterval(sweeper);
      resolve();
    });
    // net's close, not http's: http's would cut idle keep-alive connections at once.
    NetServer.prototype.close.call(server);
  });
}
