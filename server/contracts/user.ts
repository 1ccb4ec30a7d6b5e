import { z } from "zod";
import { charField, passwordField } from "./fields.js";

/** A user as any client may see it: never a password hash or a flag. */
export const publicUser = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  first_name: z.string(),
  last_name: z.string(),
});
export type PublicUser = z.infer<typeof publicUser>;

export const meOutput = publicUser;

export const changePasswordInput = z.object({
  old_password: passwordField(),
  password: passwordField(),
  password2: passwordField(),
});
export type ChangePasswordInput = z.infer<typeof changePasswordInput>;

export const messageOutput = z.object({ message: z.string() });
export type MessageOutput = z.infer<typeof messageOutput>;

/** Profile fields a user may edit; the same rules as registration. */
export const nameField = () => charField({ max: 150, allowBlank: true });

/** A session: one login and its refresh-token rotations. */
export const sessionInfo = z.object({
  id: z.string(),
  created_at: z.string(),
  last_used_at: z.string(),
  /** The absolute end of the session, whatever the rotations. */
  expires_at: z.string(),
  user_agent: z.string().nullable(),
  ip: z.string().nullable(),
  /** The session of the access token that asked. */
  current: z.boolean(),
});
export type SessionInfo = z.infer<typeof sessionInfo>;

export const sessionsOutput = z.array(sessionInfo);
export const sessionIdInput = z.object({ id: z.string().min(1).max(64) });
export const revokeAllOutput = z.object({ revoked: z.number().int() });
