import { emptyOutput } from "../contracts/auth.js";
import { codeInput, recoveryCodesOutput, totpSetup } from "../contracts/mfa.js";
import { beginTotp, confirmTotp, disableTotp } from "../services/mfa/totp.js";
import { protectedProcedure, router, stepUpProcedure } from "../trpc.js";

/** An authenticator app (RFC 6238) as the caller's second factor; starting and stopping it need a recent login. */
export const totpRouter = router({
  /** A new secret, its otpauth:// URI and QR code; waits for `confirm`. */
  begin: stepUpProcedure.output(totpSetup).mutation(({ ctx }) => beginTotp(ctx.deps, ctx.user, ctx.client)),

  /** The first valid code turns TOTP on and answers ten recovery codes, once. */
  confirm: protectedProcedure
    .input(codeInput)
    .output(recoveryCodesOutput)
    .mutation(({ ctx, input }) => confirmTotp(ctx.deps, ctx.user, input.code, ctx.client)),

  /** Turns TOTP off for a TOTP or recovery code; the recovery codes go too. */
  disable: stepUpProcedure
    .input(codeInput)
    .output(emptyOutput)
    .mutation(({ ctx, input }) => disableTotp(ctx.deps, ctx.user, input.code, ctx.client)),
});
