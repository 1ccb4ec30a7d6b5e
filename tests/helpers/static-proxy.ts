import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

export interface ProxiedRequest {
  method: string;
  path: string;
  status: number;
  origin: string | undefined;
  /** Whether the browser sent a Cookie header. */
  cookie: boolean;
}

export interface StaticProxy {
  port: number;
  /** Every request passed to the API, in order. */
  proxied: ProxiedRequest[];
  /** How many proxied requests went to `path` (e.g. `/trpc/auth.refresh`). */
  count(path: string): number;
  setTarget(url: string): void;
  close(): Promise<void>;
}

/**
 * What a production deployment puts in front of a single-page app: its built
 * files (any other path gets index.html), and the API's paths passed to the
 * API with the Host header kept, so the app and the API share an origin.
 * Listens on every interface: `localhost` and `127.0.0.1` are two sites to a
 * browser, which lets a test play a cross-site page.
 */
export async function startStaticProxy(options: {
  root: string;
  prefixes: string[];
  /** Extra pages by path, e.g. a cross-site attacker's. */
  pages?: Record<string, string>;
}): Promise<StaticProxy> {
  let target: URL | undefined;
  const proxied: ProxiedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (target && options.prefixes.some((prefix) => path.startsWith(prefix))) {
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          proxied.push({
            method: req.method ?? "",
            path,
            status: answer.statusCode ?? 0,
            origin: req.headers.origin,
            cookie: req.headers.cookie !== undefined,
          });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
      return;
    }
    const page = options.pages?.[path];
    if (page !== undefined) {
      res.writeHead(200, { "content-type": TYPES[".html"] }).end(page);
      return;
    }
    const file = normalize(join(options.root, decodeURIComponent(path)));
    const found = file.startsWith(options.root) && existsSync(file) && statSync(file).isFile();
    const served = found ? file : join(options.root, "index.html");
    res.writeHead(200, { "content-type": TYPES[extname(served)] ?? "application/octet-stream" });
    createReadStream(served).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    proxied,
    count: (path) => proxied.filter((entry) => entry.path === path).length,
    setTarget(url) {
      target = new URL(url);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
