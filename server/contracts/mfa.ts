import { z } from "zod";
import { charField } from "./fields.js";

/** A TOTP code (6 digits) or a recovery code (xxxx-xxxx-xxxx; case, spaces and hyphens ignored). */
export const codeInput = z.object({ code: charField({ max: 32 }) });
export type CodeInput = z.infer<typeof codeInput>;

/** The caller's second factors. */
export const mfaStatus = z.object({
  totp: z.boolean(),
  /** Unused recovery codes left. */
  recovery_codes_remaining: z.number().int(),
  passkeys: z.number().int(),
});
export type MfaStatus = z.infer<typeof mfaStatus>;

/** What an authenticator app needs; shown once, while the enrolment waits for its first code. */
export const totpSetup = z.object({
  /** The secret in base32 (RFC 4648, no padding), for typing in by hand. */
  secret: z.string(),
  /** `otpauth://totp/...`: SHA-1, 6 digits, 30 seconds. */
  otpauth_uri: z.string(),
  /** The URI as a QR code, an SVG document drawn on the server. */
  qr_svg: z.string(),
});
export type TotpSetup = z.infer<typeof totpSetup>;

/** Ten single-use codes, shown once; they are stored only as hashes. */
export const recoveryCodesOutput = z.object({ recovery_codes: z.array(z.string()) });
export type RecoveryCodesOutput = z.infer<typeof recoveryCodesOutput>;
