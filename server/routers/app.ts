import { createCallerFactory, router } from "../trpc.js";
import { authRouter } from "./auth.js";
import { emailRouter } from "./email.js";
import { mfaRouter } from "./mfa.js";
import { otpRouter } from "./otp.js";
import { passkeyRouter } from "./passkey.js";
import { passwordResetRouter } from "./password-reset.js";
import { taskRouter } from "./task.js";
import { totpRouter } from "./totp.js";
import { userRouter } from "./user.js";

export const appRouter = router({
  auth: authRouter,
  user: userRouter,
  task: taskRouter,
  otp: otpRouter,
  passwordReset: passwordResetRouter,
  // Strong authentication (docs/strong-authentication.md).
  mfa: mfaRouter,
  totp: totpRouter,
  passkey: passkeyRouter,
  email: emailRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures directly, with no HTTP in between (tests, tools, the REST bridge). */
export const createCaller = createCallerFactory(appRouter);
