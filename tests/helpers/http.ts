import { request as nodeRequest } from "node:http";

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when the body is empty. */
  body: any;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is instead of JSON. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  token?: string;
}

/** One HTTP request to a running test app, JSON by default. */
export async function http(
  base: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Uint8Array | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}${path}`, { method, headers, body, redirect: "manual" });
  const text = await response.text();
  let parsed: unknown;
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** A client bound to one base URL. */
export const client = (base: () => string) => ({
  get: (path: string, options?: RequestOptions) => http(base(), "GET", path, options),
  post: (path: string, body?: unknown, options?: RequestOptions) => http(base(), "POST", path, { ...options, body }),
  put: (path: string, body?: unknown, options?: RequestOptions) => http(base(), "PUT", path, { ...options, body }),
  patch: (path: string, body?: unknown, options?: RequestOptions) => http(base(), "PATCH", path, { ...options, body }),
  delete: (path: string, options?: RequestOptions) => http(base(), "DELETE", path, options),
  request: (method: string, path: string, options?: RequestOptions) => http(base(), method, path, options),
});

/** A request with headers fetch() refuses to send (Host, X-Forwarded-For…), over node:http. */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = nodeRequest(
      { host: url.hostname, port: url.port, method, path, headers, setHost: !("host" in headers) },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
