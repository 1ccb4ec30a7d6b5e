import type { IncomingMessage } from "node:http";
import { jsonReply, type Reply } from "./respond.js";

/** Where a newcomer's first request lands: the Django service had nothing at `/` (a 404). */
const LINKS = {
  docs: "/api/docs",
  openapi: "/api/openapi.json",
};

/** `GET /`: a browser goes to the API reference; any other client gets the links as JSON. */
export function rootReply(req: IncomingMessage): Reply {
  if (req.headers.accept?.includes("text/html")) {
    return { status: 302, headers: { Location: LINKS.docs }, body: undefined };
  }
  return jsonReply(200, LINKS);
}
