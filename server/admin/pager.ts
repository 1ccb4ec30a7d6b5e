import { type Html, html } from "./html.js";
import { pageParam } from "./query.js";

// The list pages' paging: the page the query asks for, and links to the pages
// around it that keep every other parameter (the filters, the order).

export interface Paging {
  page: number;
  limit: number;
  offset: number;
}

export function pagingOf(query: URLSearchParams, size: number): Paging {
  const page = pageParam(query);
  return { page, limit: size, offset: (page - 1) * size };
}

/** Previous, "Page n of m" and Next, for `total` matching rows. */
export function pager(path: string, query: URLSearchParams, paging: Paging, total: number): Html {
  const pages = Math.max(1, Math.ceil(total / paging.limit));
  const link = (target: number) => {
    const next = new URLSearchParams(query);
    next.set("page", String(target));
    next.delete("done");
    return `${path}?${next}`;
  };
  const { page } = paging;
  return html`<nav class="pager">${page > 1 ? html`<a href="${link(page - 1)}">← Previous</a>` : ""}<span class="muted">Page ${page} of ${pages}</span>${
    page < pages ? html`<a href="${link(page + 1)}">Next →</a>` : ""
  }</nav>`;
}
