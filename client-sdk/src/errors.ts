import type { ErrorCode, Procedures } from "./generated/api.js";

/** A second factor a login can be completed with. */
export type MfaMethod = Procedures["auth.completeMfa"]["input"]["method"];

/** What `mfa_required` carries: the ticket for `session.completeMfa` (5 minutes, single use) and the methods. */
export interface MfaChallenge {
  mfa_token: string;
  methods: MfaMethod[];
}

/** Field errors as the server reports them: each field (or `non_field_errors`) with its messages. */
export type FieldErrors = Partial<Record<string, string[]>>;

// A brand any copy of this package recognizes: two bundles of the SDK on one page have two
// ApiError classes, and `instanceof` alone would fail across them.
const BRAND = Symbol.for("@jwt-auth/client/error");
type Kind = "ApiError" | "NetworkError" | "SessionEndedError";

const isBranded = (value: unknown, kind: Kind): boolean =>
  typeof value === "object" && value !== null && (value as { [BRAND]?: unknown })[BRAND] === kind;

/**
 * An error the server answered. `code` is its machine code (see `ErrorCode` and
 * ERRORS.md), so UI code can branch on it without reading messages:
 *
 * ```ts
 * if (isApiError(error, "validation_failed")) show(error.fieldErrors);
 * ```
 */
export class ApiError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = "ApiError";
  readonly [BRAND]: Kind = "ApiError";

  /** True for an ApiError of any copy of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, "ApiError");
  }

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
    /** With `mfa_required`: the second step's ticket and methods. */
    readonly mfa?: MfaChallenge,
  ) {
    super(message);
  }
}

/** The server could not be reached, or a gateway in front of it failed (502, 503 or 504). */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  readonly code = "network_error" as const;
  readonly [BRAND]: Kind = "NetworkError";

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, "NetworkError");
  }

  constructor(
    message: string,
    /** The gateway's status, when there was an answer at all. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The call needed the session, and the session has ended: the server refused
 * its refresh token for good (expired, revoked, "log out everywhere", a new
 * password, the account deactivated or deleted), or it was signed out
 * meanwhile, in this tab or another. The stored session is gone; sign in again.
 */
export class SessionEndedError extends Error {
  override readonly name = "SessionEndedError";
  readonly code = "session_ended" as const;
  readonly [BRAND]: Kind = "SessionEndedError";

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, "SessionEndedError");
  }

  constructor(
    /** `refused`: the server ended it (`cause` is its ApiError); `signed_out`: a logout, here or in another tab. */
    readonly reason: "refused" | "signed_out",
    options?: { cause?: unknown },
  ) {
    super(
      reason === "refused" ? "The session has ended: sign in again." : "The session was signed out: sign in again.",
      options,
    );
  }
}

/** Every failure a client call rejects with, discriminated by `code`. */
export type ClientError = { [C in ErrorCode]: ApiError<C> }[ErrorCode] | NetworkError | SessionEndedError;

/** Narrows to an ApiError (of any copy of this package), optionally with one of the given codes. */
export function isApiError<C extends ErrorCode>(error: unknown, ...codes: C[]): error is ApiError<C> {
  return isBranded(error, "ApiError") && (codes.length === 0 || codes.includes((error as ApiError).code as C));
}

/**
 * The password was right, and the account has a second factor: `error.mfa`
 * holds the ticket and the methods for `session.completeMfa`.
 *
 * ```ts
 * try { await client.session.login({ username, password }); }
 * catch (error) { if (isMfaRequired(error)) askForCode(error.mfa.methods, error.mfa.mfa_token); else throw error; }
 * ```
 */
export function isMfaRequired(error: unknown): error is ApiError<"mfa_required"> & { mfa: MfaChallenge } {
  return isApiError(error, "mfa_required") && error.mfa !== undefined;
}

/** Narrows to a NetworkError: the server could not be reached. */
export const isNetworkError = (error: unknown): error is NetworkError => isBranded(error, "NetworkError");

/** Narrows to a SessionEndedError: sign in again. */
export const isSessionEnded = (error: unknown): error is SessionEndedError => isBranded(error, "SessionEndedError");

/** Failures worth retrying: the network, or a gateway in front of the server. */
export const isRetryable = isNetworkError;
