import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import type { ErrorCode, FieldErrors, MfaChallenge } from "./contracts/errors.js";
import { errorStatus } from "./contracts/errors.js";

/** One entry of simplejwt's `messages` list on token errors. */
export interface TokenMessage {
  token_class: string;
  token_type: string;
  message: string;
}

export interface AppErrorOptions {
  fields?: FieldErrors;
  tokenMessages?: TokenMessage[];
  retryAfter?: number;
  mfa?: MfaChallenge;
  cause?: unknown;
}

/**
 * The only error type services throw on purpose. Transports never invent their
 * own: tRPC maps it in `trpc.ts`, REST renders it in `rest/errors.ts`, both from
 * `code`, so the two surfaces agree on status and meaning.
 */
export class AppError extends Error {
  readonly status: number;
  readonly fields: FieldErrors | undefined;
  readonly tokenMessages: TokenMessage[] | undefined;
  readonly retryAfter: number | undefined;
  readonly mfa: MfaChallenge | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.status = errorStatus[code];
    this.fields = options.fields;
    this.tokenMessages = options.tokenMessages;
    this.retryAfter = options.retryAfter;
    this.mfa = options.mfa;
  }
}

export const NON_FIELD_ERRORS = "non_field_errors";

/** Wording of Django REST Framework and simplejwt, kept byte for byte for REST clients. */
export const texts = {
  notAuthenticated: "Authentication credentials were not provided.",
  badAuthorizationHeader: "Authorization header must contain two space-delimited values",
  tokenNotValidForAnyType: "Given token not valid for any token type",
  tokenInvalidOrExpired: "Token is invalid or expired",
  tokenBlacklisted: "Token is blacklisted",
  tokenWrongType: "Token has wrong type",
  tokenNoType: "Token has no type",
  tokenNoId: "Token has no id",
  tokenNoClaim: (claim: string) => `Token has no '${claim}' claim`,
  tokenNoUser: "Token contained no recognizable user identification",
  userNotFound: "User not found",
  userInactive: "User is inactive",
  noActiveAccount: "No active account found with the given credentials",
  notFound: "Not found.",
  internal: "A server error occurred.",
  unavailable: "Service temporarily unavailable, try again later.",
} as const;

export const fieldError = (field: string, ...messages: string[]) =>
  new AppError("validation_failed", "Invalid input.", { fields: { [field]: messages } });

export const validationError = (fields: FieldErrors) => new AppError("validation_failed", "Invalid input.", { fields });

const isViolation =
  (code: string) =>
  (error: unknown, constraint?: string): boolean =>
    typeof error === "object" &&
    error !== null &&
    (error as { code?: unknown }).code === code &&
    (constraint === undefined || (error as { constraint?: unknown }).constraint === constraint);

export const isUniqueViolation = isViolation("23505");

/** A row that names another that is not there: for a session, its user was deleted while it was being made. */
export const isForeignKeyViolation = isViolation("23503");

const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08001",
  "08003",
  "08006",
]);

/** PostgreSQL is down, restarting or unreachable: a 503 to retry, not a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === "string" && CONNECTION_ERRORS.has(code)) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/.test(
      error.message,
    )
  );
}

// Schema issues (zod's, from a procedure's input) as DRF renders field errors.
interface Issue {
  readonly path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> | undefined;
  readonly message: string;
  readonly code?: string;
}

const isIssueList = (value: unknown): value is Issue[] =>
  Array.isArray(value) && value.every((issue) => typeof issue === "object" && issue !== null && "message" in issue);

const PYTHON_TYPES: Record<string, string> = { string: "str", number: "int", boolean: "bool" };

/** DRF's wording when the body is not an object at all. */
function notAnObject(input: unknown): string {
  if (input === undefined || input === null) return "No data provided";
  const type = Array.isArray(input)
    ? "list"
    : typeof input === "number" && !Number.isInteger(input)
      ? "float"
      : (PYTHON_TYPES[typeof input] ?? typeof input);
  return `Invalid data. Expected a dictionary, but got ${type}.`;
}

/** Schema issues as DRF field errors: `{field: [messages]}`, root issues under `non_field_errors`. */
function toFieldErrors(issues: readonly Issue[], input: unknown): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const head = issue.path?.[0];
    const key = head === undefined ? NON_FIELD_ERRORS : String(typeof head === "object" ? head.key : head);
    const message = head === undefined && issue.code === "invalid_type" ? notAnObject(input) : issue.message;
    const list = errors[key] ?? [];
    if (!list.includes(message)) list.push(message);
    errors[key] = list;
  }
  return errors;
}

/** Seconds a client is asked to wait while the database is unreachable: restarts and failovers take a few. */
const OUTAGE_RETRY_AFTER = 5;

/** tRPC's own failures (reading and parsing the request) and what they mean here. */
const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  PARSE_ERROR: "parse_error",
  BAD_REQUEST: "parse_error",
  NOT_FOUND: "not_found",
  METHOD_NOT_SUPPORTED: "method_not_allowed",
  PAYLOAD_TOO_LARGE: "payload_too_large",
  UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
};

/**
 * Any failure, from anywhere, as the AppError a client may see: ours as it
 * is; a schema's issues as field errors (`input` says what was sent); tRPC's
 * own refusals by their meaning; an outage as a 503; anything else as a
 * hidden 500. Both transports render what this answers, and nothing else.
 */
export function normalise(error: unknown, input?: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof TRPCError) {
    const cause = error.cause;
    if (cause instanceof AppError) return cause;
    const issues = (cause as { issues?: unknown } | undefined)?.issues;
    if (error.code === "BAD_REQUEST" && isIssueList(issues)) {
      return new AppError("validation_failed", "Invalid input.", { fields: toFieldErrors(issues, input), cause });
    }
    // A parser that threw something else is a bug of ours, not a bad request: its message stays inside.
    const ownFailure = cause instanceof Error && !(cause instanceof TRPCError);
    const known = FROM_TRPC[error.code];
    if (known && !ownFailure) return new AppError(known, error.message, { cause: error });
    return normalise(cause ?? new Error(error.message));
  }
  if (isDatabaseUnavailable(error)) {
    return new AppError("service_unavailable", texts.unavailable, { cause: error, retryAfter: OUTAGE_RETRY_AFTER });
  }
  return new AppError("internal_error", texts.internal, { cause: error });
}

/** Codes counted as refused authentications in the metrics. */
export const AUTH_FAILURES: ReadonlySet<string> = new Set([
  "not_authenticated",
  "authentication_failed",
  "bad_authorization_header",
  "token_not_valid",
  "user_not_found",
  "user_inactive",
  "invalid_credentials",
  "otp_invalid",
  "throttled",
  "email_not_verified",
  "mfa_code_invalid",
  "passkey_invalid",
  "mfa_token_invalid",
  "reauthentication_required",
]);
