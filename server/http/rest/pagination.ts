import type { IncomingMessage } from "node:http";
import type { TaskPage } from "../../contracts/task.js";

const HOST = /^[a-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/i;

/** The URL the client asked for, absolute as DRF builds it (from the Host header, checked). */
export function requestUrl(req: IncomingMessage, url: URL): URL {
  const host = req.headers.host && HOST.test(req.headers.host) ? req.headers.host : "localhost";
  return new URL(`${url.pathname}${url.search}`, `http://${host}`);
}

function withParams(base: URL, params: Record<string, number | undefined>): string {
  const next = new URL(base);
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) next.searchParams.delete(name);
    else next.searchParams.set(name, String(value));
  }
  return next.toString();
}

/** DRF's LimitOffsetPagination page: `{count, next, previous, results}` with absolute links. */
export function drfPage(page: TaskPage, req: IncomingMessage, url: URL) {
  const base = requestUrl(req, url);
  const { count, limit, offset } = page;
  const next = offset + limit < count ? withParams(base, { limit, offset: offset + limit }) : null;
  const previous =
    offset <= 0 ? null : withParams(base, { limit, offset: offset - limit <= 0 ? undefined : offset - limit });
  return { count, next, previous, results: page.results };
}
