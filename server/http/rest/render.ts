import type { Reply } from "../respond.js";

// Django REST Framework's JSON rendering, and its content negotiation.

/**
 * DRF renders JSON, or HTML for browsers (answered here with JSON too); an
 * Accept header that allows neither is a 406.
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept === "*/*" || accept === "application/json" || accept.trim() === "") return true;
  return accept.split(",").some((range) => {
    const [type = "", ...params] = range.trim().toLowerCase().split(";");
    if (params.some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(param))) return false;
    return ["*/*", "application/*", "application/json", "text/*", "text/html"].includes(type.trim());
  });
}

const LINE_SEPARATORS = /[\u2028\u2029]/g;

/** DRF's JSON: compact, with U+2028 and U+2029 escaped (JSON.stringify leaves them raw). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  let text = JSON.stringify(body);
  // Rare in practice: a scan for each is cheaper than a regex replace with a callback on every body.
  if (text.includes("\u2028") || text.includes("\u2029")) {
    text = text.replace(LINE_SEPARATORS, (char) => (char === "\u2028" ? "\\u2028" : "\\u2029"));
  }
  return { status, headers, body: text };
}
