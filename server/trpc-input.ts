import type { TRPCError } from "@trpc/server";
import { AppError } from "./errors.js";

/**
 * A tRPC request whose input cannot be read (a body or `?input=` that is not
 * JSON, a broken multipart body) is the client's mistake: a 400 PARSE_ERROR.
 * tRPC reads the input lazily, inside the procedure, and reports its failure
 * like any other; it is recognised here by identity: the error the procedure
 * failed with is the one reading the input fails with (tRPC memoizes it),
 * and a parser's failure, which tRPC wraps as BAD_REQUEST (a body over the
 * size limit keeps its own code, 413).
 */
export type RawInput = { ok: true; value: unknown } | { ok: false; error: unknown };

export const readRawInput = (getRawInput: () => Promise<unknown>): Promise<RawInput> =>
  getRawInput().then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

export const isUnreadableInput = (input: RawInput, error: TRPCError): boolean =>
  !input.ok && input.error === error && error.code === "BAD_REQUEST";

// Fixed wording: the parser's own message quotes the start of the body, which may hold a password.
const MESSAGE = "The input could not be parsed: the body or ?input= is not valid JSON, or the form data is broken.";

export const unreadableInput = (cause: unknown) => new AppError("parse_error", MESSAGE, { cause });
