// A fixed number of requests over keep-alive connections, for bench/instructions.mjs,
// where the client's own speed does not matter (it runs outside valgrind).
import { Agent, request } from "node:http";

function send(agent, url, { method, path, headers, body }) {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Sends `amount` requests of `load` (see scenarios.mjs) on `connections`
 * connections. Answers how many were sent and how many were not 2xx.
 */
export async function sendAll(url, load, amount, connections) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const tokens = load.chain ? [...load.chain.tokens] : [];
  let sent = 0;
  let failed = 0;
  const next = (turn) => {
    if (!load.chain) return load.requests[turn % load.requests.length];
    const { path, field } = load.chain;
    const body = JSON.stringify({ [field]: tokens.shift() });
    return { method: "POST", path, headers: { "Content-Type": "application/json" }, body };
  };
  const connection = async () => {
    while (sent < amount) {
      const { status, text } = await send(agent, url, next(sent++));
      if (status < 200 || status > 299) failed += 1;
      else if (load.chain) tokens.push(JSON.parse(text)[load.chain.field]);
    }
  };
  await Promise.all(Array.from({ length: connections }, connection));
  agent.destroy();
  return { sent, failed };
}
