import {
  blacklistInput,
  emptyOutput,
  obtainTokenInput,
  refreshInput,
  refreshOutput,
  registerInput,
  registerOutput,
  tokenPair,
  verifyInput,
} from "../contracts/auth.js";
import { requestOptions } from "../contracts/passkey.js";
import {
  completeMfaInput,
  mfaTokenInput,
  reauthenticateInput,
  reauthenticateOutput,
} from "../contracts/second-factor.js";
import { normalise, validationError } from "../errors.js";
import { obtainTokenPair } from "../services/auth.js";
import { completeMfaLogin, mfaPasskeyOptions } from "../services/mfa/complete-login.js";
import { withNewPasswordRules } from "../services/password-policy.js";
import { reauthenticate, reauthenticateOptions } from "../services/reauthenticate.js";
import { endSession, rotate } from "../services/sessions.js";
import { registerUser, registrationErrors, takeRegistrationAttempt } from "../services/users.js";
import { verifyToken } from "../services/verify.js";
import { protectedProcedure, publicProcedure, router } from "../trpc.js";

const registerWithPasswordRules = withNewPasswordRules(registerInput, (value) => ({
  username: value.username as string | undefined,
  email: value.email as string | undefined,
  first_name: value.first_name as string | undefined,
  last_name: value.last_name as string | undefined,
}));

/** DRF reports taken usernames and emails together with the other field errors. */
const withRegistrationErrors = publicProcedure.use(async ({ ctx, getRawInput, next }) => {
  const result = await next();
  if (result.ok) return result;
  const raw = await getRawInput().catch(() => undefined);
  const error = normalise(result.error, raw);
  if (error.code !== "validation_failed" || !error.fields) return result;
  // An invalid sign-up still says which username and email are taken: it counts against the
  // client's registration ceiling like a valid one, or the ceiling would bound nothing.
  await takeRegistrationAttempt(ctx.deps.db, ctx.client);
  throw validationError(await registrationErrors(ctx.deps, raw, error.fields));
});

export const authRouter = router({
  register: withRegistrationErrors
    .input(registerWithPasswordRules)
    .output(registerOutput)
    .mutation(({ ctx, input }) => registerUser(ctx.deps, input, ctx.client)),

  obtainToken: publicProcedure
    .input(obtainTokenInput)
    .output(tokenPair)
    .mutation(async ({ ctx, input }) => {
      const { pair, deviceToken } = await obtainTokenPair(ctx.deps, ctx.client, input.username, input.password);
      ctx.reply.deviceToken = deviceToken;
      return pair;
    }),

  refresh: publicProcedure
    .input(refreshInput)
    .output(refreshOutput)
    .mutation(({ ctx, input }) => rotate(ctx.deps, input.refresh, ctx.client)),

  verify: publicProcedure
    .input(verifyInput)
    .output(emptyOutput)
    .mutation(({ ctx, input }) => verifyToken(ctx.deps, input.token)),

  /** A login's second step: the `mfa_token` of `mfa_required` and a code or passkey, to the usual pair. */
  completeMfa: publicProcedure
    .input(completeMfaInput)
    .output(tokenPair)
    .mutation(({ ctx, input }) => completeMfaLogin(ctx.deps, input, ctx.client)),

  /** Passkey options for the second step: the account's passkeys, a challenge bound to it. */
  mfaPasskeyOptions: publicProcedure
    .input(mfaTokenInput)
    .output(requestOptions)
    .mutation(({ ctx, input }) => mfaPasskeyOptions(ctx.deps, input.mfa_token)),

  /** Step-up: prove again who you are; the session's `auth_time` becomes now, and a new access token says so. */
  reauthenticate: protectedProcedure
    .input(reauthenticateInput)
    .output(reauthenticateOutput)
    .mutation(({ ctx, input }) =>
      reauthenticate(ctx.deps, { user: ctx.user, sid: ctx.sessionId, auth: ctx.auth }, input, ctx.client),
    ),

  /** Passkey options for step-up: the caller's passkeys. */
  reauthenticateOptions: protectedProcedure
    .output(requestOptions)
    .mutation(({ ctx }) => reauthenticateOptions(ctx.deps, ctx.user)),

  blacklist: publicProcedure
    .input(blacklistInput)
    .output(emptyOutput)
    .mutation(({ ctx, input }) => endSession(ctx.deps, input.refresh, ctx.client)),
});
