import { createCallerFactory, router } from "../trpc.js";
import { authRouter } from "./auth.js";
import { otpRouter } from "./otp.js";
import { passwordResetRouter } from "./password-reset.js";
import { taskRouter } from "./task.js";
import { userRouter } from "./user.js";

export const appRouter = router({
  auth: authRouter,
  user: userRouter,
  task: taskRouter,
  otp: otpRouter,
  passwordReset: passwordResetRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures directly, with no HTTP in between (tests, tools, the REST bridge). */
export const createCaller = createCallerFactory(appRouter);
