import { codeInput, mfaStatus, recoveryCodesOutput } from "../contracts/mfa.js";
import { regenerateRecoveryCodes, mfaStatus as status } from "../services/mfa/totp.js";
import { protectedProcedure, router, stepUpProcedure } from "../trpc.js";

/** The caller's second factors as a whole, and the recovery codes that back them up. */
export const mfaRouter = router({
  status: protectedProcedure.output(mfaStatus).query(({ ctx }) => status(ctx.deps, ctx.user)),

  /** Ten new recovery codes for a TOTP or recovery code; the old ones stop working. */
  regenerateRecoveryCodes: stepUpProcedure
    .input(codeInput)
    .output(recoveryCodesOutput)
    .mutation(({ ctx, input }) => regenerateRecoveryCodes(ctx.deps, ctx.user, input.code, ctx.client)),
});
