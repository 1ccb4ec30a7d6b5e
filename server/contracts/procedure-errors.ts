import type { ErrorCode } from "./errors.js";

/**
 * The codes each procedure's own rules can fail with. Those that every call
 * can meet are added by `npm run generate`, from the router: `internal_error`
 * and `service_unavailable` always; `validation_failed`, `parse_error` and
 * `payload_too_large` with an input; authentication's codes when the procedure
 * needs a token. The result is the SDK's error table (client-sdk/ERRORS.md),
 * and tests/sdk/error-table.test.ts makes each procedure answer each code here.
 */
export const procedureErrors: Readonly<Record<string, readonly ErrorCode[]>> = {
  "auth.register": [],
  "auth.obtainToken": ["authentication_failed", "throttled", "mfa_required"],
  "auth.refresh": ["token_not_valid", "user_inactive"],
  "auth.verify": ["token_not_valid"],
  "auth.blacklist": ["token_not_valid"],
  "auth.completeMfa": ["mfa_token_invalid", "mfa_code_invalid"],
  "auth.mfaPasskeyOptions": ["mfa_token_invalid"],
  "auth.reauthenticate": ["mfa_code_invalid", "passkey_invalid"],
  "auth.reauthenticateOptions": [],
  "user.me": [],
  "user.changePassword": ["throttled", "reauthentication_required"],
  "user.sessions": [],
  "user.revokeSession": ["not_found"],
  "user.revokeAllSessions": [],
  "task.list": [],
  "task.page": [],
  "task.byId": ["not_found"],
  "task.create": [],
  "task.update": ["not_found"],
  "task.patch": ["not_found"],
  "task.remove": ["not_found"],
  "otp.request": ["invalid_credentials", "throttled", "mfa_required"],
  "otp.verify": ["otp_invalid", "throttled", "mfa_required"],
  "passwordReset.request": ["throttled"],
  "passwordReset.confirm": [],
  // Strong authentication (issue 19).
  "totp.begin": ["reauthentication_required", "totp_already_enabled"],
  "totp.confirm": ["mfa_code_invalid", "totp_not_enabled"],
  "totp.disable": ["reauthentication_required", "mfa_code_invalid", "totp_not_enabled"],
  "mfa.status": [],
  "mfa.regenerateRecoveryCodes": ["reauthentication_required", "mfa_code_invalid", "totp_not_enabled"],
  "passkey.registrationOptions": ["reauthentication_required"],
  "passkey.register": ["reauthentication_required", "passkey_invalid"],
  "passkey.list": [],
  "passkey.rename": ["not_found"],
  "passkey.remove": ["reauthentication_required", "not_found"],
  "passkey.loginOptions": [],
  "passkey.login": ["authentication_failed"],
  "email.status": [],
  "email.change": ["reauthentication_required"],
  "email.verify": [],
  "email.resend": [],
};
