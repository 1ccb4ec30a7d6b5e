import { type AppError, NON_FIELD_ERRORS } from "../../errors.js";
import type { RestRoute } from "./routes.js";

export interface RestError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The seed service's login endpoints answer `{message}`, not DRF's `{detail}`. */
const MESSAGE_BODY = new Set(["invalid_request", "invalid_credentials", "otp_invalid"]);

/** Codes simplejwt shows in REST bodies; DRF hides the code of its other errors. */
const CODE_IN_BODY = new Set([
  "bad_authorization_header",
  "token_not_valid",
  "user_not_found",
  "user_inactive",
  // Strong authentication's own errors: clients tell them apart by code.
  "email_not_verified",
  "mfa_code_invalid",
  "totp_already_enabled",
  "totp_not_enabled",
  "passkey_invalid",
  "passkeys_disabled",
  "mfa_required",
  "mfa_token_invalid",
  "reauthentication_required",
]);

/** An AppError as the Django service would have answered it. */
export function toRestError(error: AppError, route?: RestRoute): RestError {
  const headers: Record<string, string> = {};
  if (error.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="api"';
  if (error.retryAfter !== undefined) headers["Retry-After"] = String(error.retryAfter);
  return { status: error.status, headers, body: restBody(error, route) };
}

function restBody(error: AppError, route?: RestRoute): unknown {
  if (route?.invalidInputMessage && error.code === "validation_failed") return { message: route.invalidInputMessage };
  if (MESSAGE_BODY.has(error.code)) return { message: error.message };
  if (error.code === "validation_failed") return error.fields ?? { [NON_FIELD_ERRORS]: [error.message] };
  if (!CODE_IN_BODY.has(error.code)) return { detail: error.message };
  return {
    detail: error.message,
    code: error.code,
    ...(error.tokenMessages ? { messages: error.tokenMessages } : {}),
    ...error.mfa,
  };
}
