import type { ErrorCode } from "./generated/api.js";

/** Field errors as the server reports them: each field (or `non_field_errors`) with its messages. */
export type FieldErrors = Partial<Record<string, string[]>>;

/**
 * An error the server answered. `code` is its machine code (see `ErrorCode`),
 * so UI code can branch on it without reading messages:
 *
 * ```ts
 * if (error instanceof ApiError && error.code === "validation_failed") show(error.fieldErrors);
 * ```
 */
export class ApiError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = "ApiError";

  constructor(
    /** The server's machine code: `token_not_valid`, `user_inactive`, `validation_failed`, … */
    readonly code: C,
    message: string,
    /** The HTTP status the server answered. */
    readonly status: number,
    /** With `validation_failed`: the messages of each field that failed. */
    readonly fieldErrors: FieldErrors = {},
    /** With `throttled`: seconds to wait before trying again. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** The server could not be reached, or a gateway in front of it failed (502, 503 or 504). */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  readonly code = "network_error" as const;

  constructor(
    message: string,
    /** The gateway's status, when there was an answer at all. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Every failure a client call rejects with, discriminated by `code`. */
export type ClientError = { [C in ErrorCode]: ApiError<C> }[ErrorCode] | NetworkError;

/** Narrows to an ApiError, optionally with one of the given codes. */
export function isApiError<C extends ErrorCode>(error: unknown, ...codes: C[]): error is ApiError<C> {
  return error instanceof ApiError && (codes.length === 0 || codes.includes(error.code as C));
}

/** Failures worth retrying: the network, or a gateway in front of the server. */
export const isRetryable = (error: unknown): error is NetworkError => error instanceof NetworkError;
