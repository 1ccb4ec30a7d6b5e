import { tokenPair } from "../contracts/auth.js";
import { otpRequestInput, otpVerifyInput } from "../contracts/otp.js";
import { messageOutput } from "../contracts/user.js";
import { requestOtp, verifyOtp } from "../services/otp.js";
import { publicProcedure, router } from "../trpc.js";

/** Log in with a password, then with a one-time code sent by mail. */
export const otpRouter = router({
  request: publicProcedure
    .input(otpRequestInput)
    .output(messageOutput)
    .mutation(async ({ ctx, input }) => {
      const { message, deviceToken } = await requestOtp(ctx.deps, input, ctx.client);
      ctx.reply.deviceToken = deviceToken;
      return message;
    }),

  verify: publicProcedure
    .input(otpVerifyInput)
    .output(tokenPair)
    .mutation(({ ctx, input }) => verifyOtp(ctx.deps, input, ctx.client)),
});
