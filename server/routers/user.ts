import { emptyOutput } from "../contracts/auth.js";
import {
  changePasswordInput,
  meOutput,
  messageOutput,
  revokeAllOutput,
  sessionIdInput,
  sessionsOutput,
} from "../contracts/user.js";
import { listSessions, revokeAllSessions, revokeSession } from "../services/sessions.js";
import { changePassword, profileOf } from "../services/users.js";
import { ownerProcedure, passwordStepUpProcedure, protectedProcedure, router } from "../trpc.js";

/** The caller: profile, password and sessions. */
export const userRouter = router({
  me: ownerProcedure.output(meOutput).query(({ ctx }) => profileOf(ctx.deps, ctx.owner.token)),

  changePassword: passwordStepUpProcedure
    .input(changePasswordInput)
    .output(messageOutput)
    .mutation(({ ctx, input }) => changePassword(ctx.deps, ctx.user, input, ctx.client)),

  /** The caller's live sessions (one per login): created, last used, user agent, IP. */
  sessions: protectedProcedure
    .output(sessionsOutput)
    .query(({ ctx }) => listSessions(ctx.deps, ctx.user, ctx.sessionId)),

  revokeSession: protectedProcedure
    .input(sessionIdInput)
    .output(emptyOutput)
    .mutation(({ ctx, input }) => revokeSession(ctx.deps, ctx.user, input.id, ctx.client)),

  /** Log out everywhere: every session ends and every access token issued so far is refused. */
  revokeAllSessions: protectedProcedure
    .output(revokeAllOutput)
    .mutation(({ ctx }) => revokeAllSessions(ctx.deps, ctx.user, ctx.client)),
});
