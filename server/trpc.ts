import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import type { Context } from "./context.js";
import type { AppErrorData, ErrorCode } from "./contracts/errors.js";
import { AppError, fromUnknown } from "./errors.js";
import { authenticateAccessToken, claimedUserId, loadTokenUser, verifyAccessToken } from "./services/auth.js";
import { isIssueList, toFieldErrors } from "./validation.js";

const TRPC_CODES: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "TOO_MANY_REQUESTS",
  503: "SERVICE_UNAVAILABLE",
};

const t = initTRPC.context<Context>().create({
  // Never ship stack traces, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    // Errors raised by tRPC itself (unknown path, bad batch) never passed mapErrors.
    const app = toAppError(error);
    const data: typeof shape.data & AppErrorData = {
      ...shape.data,
      appCode: app.code,
      ...(app.fields ? { fieldErrors: app.fields } : {}),
      ...(app.retryAfter !== undefined ? { retryAfter: app.retryAfter } : {}),
    };
    return { ...shape, message: app.message, data };
  },
});

/** tRPC's own failures (reading and parsing the request) and what they mean here. */
const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  PARSE_ERROR: "parse_error",
  BAD_REQUEST: "parse_error",
  NOT_FOUND: "not_found",
  METHOD_NOT_SUPPORTED: "method_not_allowed",
  PAYLOAD_TOO_LARGE: "payload_too_large",
  UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
};

/** Every failure leaves a procedure as a TRPCError whose cause is an AppError: mapped here, once. */
export function toAppError(error: TRPCError, input?: unknown): AppError {
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
  return fromUnknown(cause ?? error);
}

const mapErrors = t.middleware(async ({ next, getRawInput }) => {
  const result = await next();
  if (result.ok) return result;
  const app = toAppError(result.error, await getRawInput().catch(() => undefined));
  throw new TRPCError({ code: TRPC_CODES[app.status] ?? "INTERNAL_SERVER_ERROR", message: app.message, cause: app });
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);

/** Verifies the bearer access token (simplejwt's rules and errors) and narrows `ctx.user`. */
export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const { user, sid } = ctx.accessClaims
    ? await loadTokenUser(ctx.deps.db, ctx.accessClaims)
    : await authenticateAccessToken(ctx.deps, ctx.authorization);
  return next({ ctx: { user, sessionId: sid } });
});

/**
 * protectedProcedure for procedures whose one statement checks the token's
 * user itself (a `TaskOwner`): the token is verified here, its user row in
 * that statement, one round trip instead of two. A procedure that fails for
 * any reason reads the user row after all, so that authentication's error
 * wins, as when it comes first.
 */
export const ownerProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const claims = ctx.accessClaims ?? (await verifyAccessToken(ctx.deps, ctx.authorization));
  const result = await next({ ctx: { owner: { userId: claimedUserId(claims), tokenIssuedAt: claims.issuedAt } } });
  if (!result.ok) await loadTokenUser(ctx.deps.db, claims);
  return result;
});
