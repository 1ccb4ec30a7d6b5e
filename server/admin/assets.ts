import { readFileSync } from "node:fs";
import { fromRoot } from "../paths.js";
import type { AdminReply } from "./reply.js";
import { STYLESHEET } from "./style.js";

// The console's static files: its stylesheet and its one script (a file of
// the checkout, read once, as server/data is), cached for an hour.

const asset = (type: string, body: string): AdminReply => ({
  status: 200,
  headers: { "Content-Type": type, "Cache-Control": "public, max-age=3600" },
  body,
  cookies: [],
});

const ASSETS = new Map([
  ["/admin/style.css", asset("text/css; charset=utf-8", STYLESHEET)],
  [
    "/admin/static/passkey.js",
    asset("text/javascript; charset=utf-8", readFileSync(fromRoot("server/admin/static/passkey.js"), "utf8")),
  ],
]);

/** The static file at a path, if there is one. */
export const assetAt = (pathname: string) => ASSETS.get(pathname);
