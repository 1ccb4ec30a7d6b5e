import { z } from "zod";
import { charField, emailField, passwordField } from "./fields.js";

export const resetRequestInput = z.object({ email: emailField() });
export type ResetRequestInput = z.infer<typeof resetRequestInput>;

export const resetConfirmInput = z.object({
  uid: charField({ max: 64 }),
  token: charField({ max: 256 }),
  password: passwordField(),
  password2: passwordField(),
});
export type ResetConfirmInput = z.infer<typeof resetConfirmInput>;
