import { z } from "zod";
import { charField, emailField, passwordField } from "./fields.js";

export const emailStatus = z.object({
  email: z.string(),
  verified: z.boolean(),
  /** A new address waiting for its verification link; the account keeps `email` until then. */
  pending_email: z.string().nullable(),
});
export type EmailStatus = z.infer<typeof emailStatus>;

export const changeEmailInput = z.object({ email: emailField(), password: passwordField() });
export type ChangeEmailInput = z.infer<typeof changeEmailInput>;

export const verifyEmailInput = z.object({ token: charField({ max: 256 }) });
export type VerifyEmailInput = z.infer<typeof verifyEmailInput>;

export const resendVerificationInput = z.object({ email: emailField() });
export type ResendVerificationInput = z.infer<typeof resendVerificationInput>;
