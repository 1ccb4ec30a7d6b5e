import { initTRPC, TRPCError } from "@trpc/server";
import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { Context } from "./context.js";
import type { AppErrorData } from "./contracts/errors.js";
import { type AppError, normalise } from "./errors.js";
import { authenticate, loadTokenUser, verifyAccessToken, withUserId } from "./services/auth.js";
import { requireRecentAuthentication, requireRecentOrPasswordOnly } from "./services/step-up.js";
import { isUnreadableInput, readRawInput, unreadableInput } from "./trpc-input.js";

// The one initTRPC. Procedures throw AppErrors; each builder's one middleware
// turns whatever failed into a TRPCError with the matching code and the
// AppError as its cause (for direct callers, who see no HTTP), and the error
// formatter renders that cause on tRPC's wire. `normalise` decides both.

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

/** The tRPC code of an AppError, by its status (an unreadable body keeps tRPC's own PARSE_ERROR). */
const trpcCodeOf = (app: AppError): TRPC_ERROR_CODE_KEY =>
  app.code === "parse_error" ? "PARSE_ERROR" : (TRPC_CODES[app.status] ?? "INTERNAL_SERVER_ERROR");

const t = initTRPC.context<Context>().create({
  // Never ship stack traces, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error, input }) {
    const app = normalise(error, input);
    const code = trpcCodeOf(app);
    const data: typeof shape.data & AppErrorData = {
      ...shape.data,
      code,
      httpStatus: app.status,
      appCode: app.code,
      ...(app.fields ? { fieldErrors: app.fields } : {}),
      ...(app.retryAfter !== undefined ? { retryAfter: app.retryAfter } : {}),
      ...(app.mfa ? { mfa: app.mfa } : {}),
    };
    return { ...shape, code: TRPC_ERROR_CODES_BY_KEY[code], message: app.message, data };
  },
});

const asTRPCError = (app: AppError) => new TRPCError({ code: trpcCodeOf(app), message: app.message, cause: app });

type Result = { ok: true } | { ok: false; error: TRPCError };

/**
 * A failed call as a TRPCError whose cause is its AppError. A bad request is
 * either input that could not be read at all (a parse error, worded without
 * quoting the body) or a schema's issues, which need the raw input for their
 * wording; nothing else reads the input again.
 */
async function settle<R extends Result>(result: R, getRawInput: () => Promise<unknown>): Promise<R> {
  if (result.ok) return result;
  if (result.error.code !== "BAD_REQUEST") throw asTRPCError(normalise(result.error));
  const input = await readRawInput(getRawInput);
  if (isUnreadableInput(input, result.error)) throw asTRPCError(unreadableInput(result.error));
  throw asTRPCError(normalise(result.error, input.ok ? input.value : undefined));
}

/**
 * Reads the input before the procedure runs, so that one without an input
 * schema still refuses an unreadable one rather than run (tRPC reads lazily;
 * the read is kept, so the input parser reads nothing twice).
 */
async function readable(getRawInput: () => Promise<unknown>): Promise<void> {
  try {
    await getRawInput();
  } catch (error) {
    const unreadable = error instanceof TRPCError && error.code === "BAD_REQUEST";
    throw asTRPCError(unreadable ? unreadableInput(error) : normalise(error));
  }
}

/** Runs `step`; what it throws leaves as a TRPCError like any other failure. */
async function before<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw asTRPCError(normalise(error));
  }
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(async ({ next, getRawInput }) => {
  await readable(getRawInput);
  return settle(await next(), getRawInput);
});

/** Verifies the bearer access token (simplejwt's rules and errors) and narrows `ctx.user`. */
export const protectedProcedure = t.procedure.use(async ({ ctx, next, getRawInput }) => {
  const { user, sid, auth } = await before(() => authenticate(ctx.deps, ctx.authorization));
  await readable(getRawInput);
  return settle(await next({ ctx: { user, sessionId: sid, auth } }), getRawInput);
});

/** protectedProcedure for changes of the factors themselves: the token's `auth_time` must be recent (step-up). */
export const stepUpProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  await before(async () => requireRecentAuthentication(ctx.deps, ctx.auth));
  return next();
});

/**
 * For changes that check the password themselves (password, email): recent
 * enough, or an account with no second factor, for which that password is a
 * full reauthentication (the Django contract holds for such accounts).
 */
export const passwordStepUpProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  await before(() => requireRecentOrPasswordOnly(ctx.deps, ctx.user, ctx.auth));
  return next();
});

/**
 * protectedProcedure for procedures whose one statement checks the token
 * itself (a `TaskOwner` with the token's claims, checked by `acceptsToken`):
 * the signature is verified here, the user row in that statement, one round
 * trip instead of two. A procedure that fails for any reason reads the user
 * row after all, so that authentication's error wins, as when it comes first.
 */
export const ownerProcedure = t.procedure.use(async ({ ctx, next, getRawInput }) => {
  const claims = await before(() => verifyAccessToken(ctx.deps, ctx.authorization));
  const token = await before(async () => withUserId(claims));
  try {
    await readable(getRawInput);
  } catch (error) {
    await before(() => loadTokenUser(ctx.deps.db, claims));
    throw error;
  }
  const result = await next({ ctx: { owner: { userId: token.userId, token } } });
  if (!result.ok) await before(() => loadTokenUser(ctx.deps.db, claims));
  return settle(result, getRawInput);
});
