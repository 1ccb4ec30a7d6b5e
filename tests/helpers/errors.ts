import { TRPCError } from "@trpc/server";
import { AppError } from "../../server/errors.js";

/** The AppError a procedure call failed with (tRPC wraps it as the TRPCError's cause). */
export async function appError(call: Promise<unknown>): Promise<AppError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCError && error.cause instanceof AppError) return error.cause;
    throw error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
