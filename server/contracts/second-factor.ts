import { z } from "zod";
import { charField, passwordField } from "./fields.js";
import { authenticationCredential } from "./passkey.js";

// The login's second step and step-up (docs/strong-authentication.md).

/** The ways to take a second step; `mfa_required` names those the account has. */
export const mfaMethod = z.enum(["totp", "recovery_code", "passkey"]);

const mfaToken = () => charField({ max: 128 });
const code = () => charField({ max: 32 });

/**
 * The second step: the `mfa_token` from `mfa_required`, and a TOTP code, a
 * recovery code or a passkey assertion (options from `auth.mfaPasskeyOptions`).
 */
export const completeMfaInput = z
  .object({
    mfa_token: mfaToken(),
    method: mfaMethod,
    code: code().optional(),
    credential: authenticationCredential.optional(),
  })
  .superRefine((value, ctx) => {
    const field = value.method === "passkey" ? "credential" : "code";
    if (value[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: "This field is required." });
  });
export type CompleteMfaInput = z.infer<typeof completeMfaInput>;

export const mfaTokenInput = z.object({ mfa_token: mfaToken() });
export type MfaTokenInput = z.infer<typeof mfaTokenInput>;

/**
 * Step-up: the password (with a TOTP or recovery code when TOTP is on), or a
 * passkey assertion (options from `auth.reauthenticateOptions`).
 */
export const reauthenticateInput = z
  .object({
    password: passwordField().optional(),
    code: code().optional(),
    credential: authenticationCredential.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.password === undefined && value.credential === undefined) {
      ctx.addIssue({ code: "custom", path: ["password"], message: "This field is required." });
    }
  });
export type ReauthenticateInput = z.infer<typeof reauthenticateInput>;

/** A new access token in the same session, with a fresh `auth_time`; the refresh token stays as it is. */
export const reauthenticateOutput = z.object({ access: z.string() });
export type ReauthenticateOutput = z.infer<typeof reauthenticateOutput>;
