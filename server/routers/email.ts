import { changeEmailInput, emailStatus, resendVerificationInput, verifyEmailInput } from "../contracts/email.js";
import { messageOutput } from "../contracts/user.js";
import { changeEmail } from "../services/email/change.js";
import { resendVerification, emailStatus as status, verifyEmail } from "../services/email/verification.js";
import { passwordStepUpProcedure, protectedProcedure, publicProcedure, router } from "../trpc.js";

/** The account's email address: verification, and changing it (verified before it takes effect). */
export const emailRouter = router({
  status: protectedProcedure.output(emailStatus).query(({ ctx }) => status(ctx.deps, ctx.user)),

  change: passwordStepUpProcedure
    .input(changeEmailInput)
    .output(messageOutput)
    .mutation(({ ctx, input }) => changeEmail(ctx.deps, ctx.user, input, ctx.client)),

  verify: publicProcedure
    .input(verifyEmailInput)
    .output(messageOutput)
    .mutation(({ ctx, input }) => verifyEmail(ctx.deps, input.token, ctx.client)),

  /** The same answer for any address. */
  resend: publicProcedure
    .input(resendVerificationInput)
    .output(messageOutput)
    .mutation(({ ctx, input }) => resendVerification(ctx.deps, input.email, ctx.client)),
});
