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
  "auth.obtainToken": ["authentication_failed", "throttled"],
  "auth.refresh": ["token_not_valid", "user_inactive"],
  "auth.verify": ["token_not_valid"],
  "auth.blacklist": ["token_not_valid"],
  "user.me": [],
  "user.changePassword": ["throttled"],
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
  "otp.request": ["invalid_credentials", "throttled"],
  "otp.verify": ["otp_invalid", "throttled"],
  "passwordReset.request": ["throttled"],
  "passwordReset.confirm": [],
  // Strong authentication (issue 19): their own codes are listed as their scenarios are written.
  "totp.begin": [],
  "totp.confirm": [],
  "totp.disable": [],
  "mfa.status": [],
  "mfa.regenerateRecoveryCodes": [],
  "passkey.registrationOptions": [],
  "passkey.register": [],
  "passkey.list": [],
  "passkey.rename": [],
  "passkey.remove": [],
  "passkey.loginOptions": [],
  "passkey.login": [],
  "email.status": [],
  "email.change": [],
  "email.verify": [],
  "email.resend": [],
};
