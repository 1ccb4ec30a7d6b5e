import { z } from "zod";
import { charField, emailField, passwordField, usernameField } from "./fields.js";
import { nameField, publicUser } from "./user.js";

export const registerInput = z.object({
  username: usernameField(),
  password: passwordField(),
  password2: passwordField(),
  email: emailField(),
  first_name: nameField(),
  last_name: nameField(),
});
export type RegisterInput = z.infer<typeof registerInput>;
export const registerOutput = publicUser;

export const obtainTokenInput = z.object({
  username: charField(),
  password: passwordField(),
});
export type ObtainTokenInput = z.infer<typeof obtainTokenInput>;

export const tokenPair = z.object({ refresh: z.string(), access: z.string() });
export type TokenPair = z.infer<typeof tokenPair>;

export const refreshInput = z.object({ refresh: charField() });
export type RefreshInput = z.infer<typeof refreshInput>;

/** `refresh` is absent only when the server runs with ROTATE_REFRESH_TOKENS=false. */
export const refreshOutput = z.object({ access: z.string(), refresh: z.string().optional() });
export type RefreshOutput = z.infer<typeof refreshOutput>;

export const verifyInput = z.object({ token: charField() });
export type VerifyInput = z.infer<typeof verifyInput>;

export const blacklistInput = z.object({ refresh: charField() });
export type BlacklistInput = z.infer<typeof blacklistInput>;

export const emptyOutput = z.object({});
