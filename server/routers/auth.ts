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
import { normalise, validationError } from "../errors.js";
import { obtainTokenPair } from "../services/auth.js";
import { withNewPasswordRules } from "../services/password-policy.js";
import { endSession, rotate } from "../services/sessions.js";
import { registerUser, registrationErrors, takeRegistrationAttempt } from "../services/users.js";
import { verifyToken } from "../services/verify.js";
import { publicProcedure, router } from "../trpc.js";

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

  blacklist: publicProcedure
    .input(blacklistInput)
    .output(emptyOutput)
    .mutation(({ ctx, input }) => endSession(ctx.deps, input.refresh, ctx.client)),
});
