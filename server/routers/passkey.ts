import { emptyOutput, tokenPair } from "../contracts/auth.js";
import {
  creationOptions,
  passkeyIdInput,
  passkeyInfo,
  passkeyList,
  passkeyLoginInput,
  registerPasskeyInput,
  renamePasskeyInput,
  requestOptions,
} from "../contracts/passkey.js";
import { loginOptions, passkeyLogin } from "../services/passkeys/login.js";
import { listUserPasskeys, removeUserPasskey, renameUserPasskey } from "../services/passkeys/management.js";
import { registerPasskey, registrationOptions } from "../services/passkeys/registration.js";
import { protectedProcedure, publicProcedure, router, stepUpProcedure } from "../trpc.js";

/** Passkeys (WebAuthn): registered while signed in, then a full login of their own. */
export const passkeyRouter = router({
  registrationOptions: stepUpProcedure
    .output(creationOptions)
    .mutation(({ ctx }) => registrationOptions(ctx.deps, ctx.user)),

  register: stepUpProcedure
    .input(registerPasskeyInput)
    .output(passkeyInfo)
    .mutation(({ ctx, input }) => registerPasskey(ctx.deps, ctx.user, input, ctx.client)),

  list: protectedProcedure.output(passkeyList).query(({ ctx }) => listUserPasskeys(ctx.deps, ctx.user)),

  rename: protectedProcedure
    .input(renamePasskeyInput)
    .output(passkeyInfo)
    .mutation(({ ctx, input }) => renameUserPasskey(ctx.deps, ctx.user, input.id, input.name, ctx.client)),

  remove: stepUpProcedure
    .input(passkeyIdInput)
    .output(emptyOutput)
    .mutation(({ ctx, input }) => removeUserPasskey(ctx.deps, ctx.user, input.id, ctx.client)),

  loginOptions: publicProcedure.output(requestOptions).mutation(({ ctx }) => loginOptions(ctx.deps, ctx.client)),

  /** A discoverable passkey with user verification to the usual token pair. */
  login: publicProcedure
    .input(passkeyLoginInput)
    .output(tokenPair)
    .mutation(({ ctx, input }) => passkeyLogin(ctx.deps, input, ctx.client)),
});
