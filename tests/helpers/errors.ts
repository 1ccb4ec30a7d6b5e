import { AppError, normalise } from "../../server/errors.js";

/**
 * The AppError a procedure call failed with, as either transport would render
 * it: tRPC hands a direct caller its own TRPCError, whose cause is ours or the
 * input schema's issues.
 */
export async function appError(call: Promise<unknown>, input?: unknown): Promise<AppError> {
  try {
    await call;
  } catch (error) {
    const app = normalise(error, input);
    if (app instanceof AppError && app.code !== "internal_error") return app;
    throw error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
