import type { IncomingHttpHeaders } from "node:http";
import type { Context } from "../../context.js";
import { emptyOutput, obtainTokenInput, type TokenPair } from "../../contracts/auth.js";
import { otpVerifyInput } from "../../contracts/otp.js";
import { completeMfaInput } from "../../contracts/second-factor.js";
import { cookieMode, cookieSessionOutput } from "../../contracts/session-cookie.js";
import { AppError, normalise, texts } from "../../errors.js";
import { obtainTokenPair } from "../../services/auth.js";
import { completeMfaLogin } from "../../services/mfa/complete-login.js";
import { verifyOtp } from "../../services/otp.js";
import { endSession, rotate } from "../../services/sessions.js";
import { publicProcedure, router } from "../../trpc.js";
import { crossSiteRefusal } from "./csrf.js";
import type { SessionJar } from "./jar.js";

/** What the cookie-mode handler adds to a procedure's context. */
export interface CookieSessionContext extends Context {
  cookieSession: {
    headers: IncomingHttpHeaders;
    allowedOrigins: ReadonlySet<string>;
    jar: SessionJar;
    /** Set-Cookie values the answer carries (the jar writes them). */
    setCookies: string[];
  };
}

const requestOf = (ctx: Context) => (ctx as CookieSessionContext).cookieSession;

/** Every call first proves it comes from the app's own pages. */
const sameSiteProcedure = publicProcedure.use(({ ctx, next }) => {
  const { headers, allowedOrigins } = requestOf(ctx);
  const refusal = crossSiteRefusal(headers, allowedOrigins);
  if (refusal) throw new AppError("permission_denied", `Cross-site request refused: ${refusal}.`);
  return next();
});

/** A refusal of the cookie's token (not a fault of ours): the cookies go, so the browser stops sending them. */
const refusesToken = (error: unknown) => {
  const app = normalise(error);
  return app.status >= 400 && app.status < 500;
};

/** The tokens to cookies, the access token to the body; a session the cookie held before is ended. */
async function start(ctx: Context, pair: TokenPair) {
  const { jar } = requestOf(ctx);
  const previous = jar.refreshToken();
  jar.store(pair.access, pair.refresh);
  if (previous !== undefined && previous !== pair.refresh) {
    await endSession(ctx.deps, previous, ctx.client).catch(() => undefined);
  }
  return { access: pair.access };
}

/**
 * Cookie mode's session endpoints (`/auth/session/<name>`): the token
 * procedures' services, with the refresh token moved from the body to an
 * HttpOnly cookie that JavaScript never sees.
 */
export const cookieSessionRouter = router({
  [cookieMode.procedures.login]: sameSiteProcedure
    .input(obtainTokenInput)
    .output(cookieSessionOutput)
    .mutation(async ({ ctx, input }) => {
      const { pair, deviceToken } = await obtainTokenPair(ctx.deps, ctx.client, input.username, input.password);
      ctx.reply.deviceToken = deviceToken;
      return start(ctx, pair);
    }),

  [cookieMode.procedures.verifyOtp]: sameSiteProcedure
    .input(otpVerifyInput)
    .output(cookieSessionOutput)
    .mutation(async ({ ctx, input }) => start(ctx, await verifyOtp(ctx.deps, input, ctx.client))),

  [cookieMode.procedures.completeMfa]: sameSiteProcedure
    .input(completeMfaInput)
    .output(cookieSessionOutput)
    .mutation(async ({ ctx, input }) => start(ctx, await completeMfaLogin(ctx.deps, input, ctx.client))),

  [cookieMode.procedures.refresh]: sameSiteProcedure.output(cookieSessionOutput).mutation(async ({ ctx }) => {
    const { jar } = requestOf(ctx);
    const refresh = jar.refreshToken();
    if (refresh === undefined) throw new AppError("not_authenticated", texts.notAuthenticated);
    try {
      const pair = await rotate(ctx.deps, refresh, ctx.client);
      jar.store(pair.access, pair.refresh ?? refresh);
      return { access: pair.access };
    } catch (error) {
      if (refusesToken(error)) jar.clear();
      throw error;
    }
  }),

  [cookieMode.procedures.logout]: sameSiteProcedure.output(emptyOutput).mutation(async ({ ctx }) => {
    const { jar } = requestOf(ctx);
    const refresh = jar.refreshToken();
    jar.clear();
    if (refresh !== undefined) {
      await endSession(ctx.deps, refresh, ctx.client).catch((error: unknown) => {
        // Already revoked or expired: the session is over either way.
        if (!refusesToken(error)) throw error;
      });
    }
    return {};
  }),
});
