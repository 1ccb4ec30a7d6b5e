import type { IncomingMessage } from "node:http";
import { TextDecoder } from "node:util";
import { AppError } from "../../errors.js";

/**
 * Reads the whole body, refusing more than `limit` bytes before buffering them.
 * Listeners rather than `for await`: the async iterator costs a promise and a
 * microtask hop per chunk, measurable on light requests (bench/README.md).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: () => void) => {
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // The rest is discarded unread; the 413 closes the connection.
      settle(() => reject(tooLarge(limit)));
      req.resume();
    };
    const onEnd = () =>
      settle(() => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    const onError = (error: Error) => settle(() => reject(error));
    const onClose = () => settle(() => reject(new AppError("parse_error", "The request body was cut off.")));
    req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

const tooLarge = (limit: number) =>
  new AppError("payload_too_large", `Request body is too large (the limit is ${limit} bytes).`);

/** Django's DATA_UPLOAD_MAX_NUMBER_FIELDS. */
export const MAX_FORM_FIELDS = 1000;

const newDecoder = (charset: string) => new TextDecoder(charset, { fatal: true, ignoreBOM: true });
/** Without `stream`, every decode starts afresh: one decoder serves every request. */
const UTF8 = newDecoder("utf-8");

/** The declared charset (UTF-8 by default); a BOM is an error, as in Python's json. */
function decoder(contentType: string): TextDecoder {
  if (!/charset/i.test(contentType)) return UTF8;
  const declared = /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType)?.[1] ?? "utf-8";
  // Python's spellings that the WHATWG labels lack.
  const charset = declared.toLowerCase().replace(/^latin[-_]1$/, "latin1");
  if (charset === "utf-8" || charset === "utf8") return UTF8;
  try {
    return newDecoder(charset);
  } catch {
    throw new AppError("unsupported_media_type", `Unsupported media type "${contentType}" in request.`);
  }
}

function fields(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const [key, value] of entries) {
    count += 1;
    if (count > MAX_FORM_FIELDS) {
      throw new AppError("parse_error", `The number of fields exceeded ${MAX_FORM_FIELDS}.`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * The body as DRF's parsers read it: JSON, urlencoded and multipart forms (for a
 * repeated key the last value wins); an empty body or no Content-Type means no
 * data; any other media type is 415.
 */
export async function parseBody(contentType: string | undefined, raw: Buffer): Promise<unknown> {
  if (raw.length === 0 || contentType === undefined || contentType.trim() === "") return {};
  const media =
    contentType === "application/json" ? contentType : (contentType.split(";")[0] ?? "").trim().toLowerCase();
  if (media === "application/json") {
    const text = decoder(contentType);
    try {
      return JSON.parse(text.decode(raw));
    } catch (error) {
      throw new AppError("parse_error", `JSON parse error - ${(error as Error).message}`);
    }
  }
  if (media === "application/x-www-form-urlencoded") {
    return fields(new URLSearchParams(raw.toString("utf8")));
  }
  if (media === "multipart/form-data") {
    try {
      const form = await new Request("http://localhost/", {
        method: "POST",
        headers: { "content-type": contentType },
        body: raw,
      }).formData();
      // Files are not strings: the contract rejects them like any other wrong type.
      return fields(
        [...form.entries()].map(([key, value]) => [key, typeof value === "string" ? value : { file: value.name }]),
      );
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError("parse_error", `Multipart form parse error - ${(error as Error).message}`);
    }
  }
  throw new AppError("unsupported_media_type", `Unsupported media type "${contentType}" in request.`);
}
