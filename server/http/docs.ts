import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { openApiDocument } from "./rest/openapi.js";

/**
 * /api/openapi.json and the API reference page at /api/docs: Swagger UI,
 * served from its npm package (no CDN), pointed at the document.
 */
export type DocsHandler = (
  pathname: string,
  res: ServerResponse,
  headOnly: boolean,
  /** Sent along: what every response carries. */
  headers: Record<string, string>,
) => boolean;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>API reference</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
});
`;

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

export function createDocsHandler(): DocsHandler {
  const assetsDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const document = JSON.stringify(openApiDocument());
  const cache = new Map<string, Buffer>();
  const asset = (name: string) => {
    let content = cache.get(name);
    if (!content) {
      content = readFileSync(join(assetsDir, name));
      cache.set(name, content);
    }
    return content;
  };
  const reply = (
    res: ServerResponse,
    type: string,
    body: string | Buffer,
    headOnly: boolean,
    headers: Record<string, string>,
  ) => {
    res.writeHead(200, {
      ...headers,
      "Content-Type": type,
      "Content-Length": String(Buffer.byteLength(body)),
      "Cache-Control": "public, max-age=300",
    });
    res.end(headOnly ? undefined : body);
  };

  return (pathname, res, headOnly, headers) => {
    if (pathname === "/api/openapi.json") {
      reply(res, "application/json", document, headOnly, headers);
      return true;
    }
    if (pathname === "/api/docs" || pathname === "/api/docs/") {
      reply(res, "text/html; charset=utf-8", PAGE, headOnly, headers);
      return true;
    }
    const name = pathname.startsWith("/api/docs/") ? pathname.slice("/api/docs/".length) : undefined;
    if (name === "init.js") {
      reply(res, "text/javascript; charset=utf-8", INIT, headOnly, headers);
      return true;
    }
    const type = name === undefined ? undefined : ASSETS[name];
    if (name !== undefined && type !== undefined) {
      reply(res, type, asset(name), headOnly, headers);
      return true;
    }
    return false;
  };
}
