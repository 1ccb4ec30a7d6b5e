import { resetConfirmInput, resetRequestInput } from "../contracts/password-reset.js";
import { messageOutput } from "../contracts/user.js";
import { confirmPasswordReset, requestPasswordReset } from "../services/password-reset.js";
import { publicProcedure, router } from "../trpc.js";

export const passwordResetRouter = router({
  request: publicProcedure
    .input(resetRequestInput)
    .output(messageOutput)
    .mutation(({ ctx, input }) => requestPasswordReset(ctx.deps, input.email, ctx.client)),

  confirm: publicProcedure
    .input(resetConfirmInput)
    .output(messageOutput)
    .mutation(({ ctx, input }) => confirmPasswordReset(ctx.deps, input, ctx.client)),
});
