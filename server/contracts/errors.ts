// Machine-readable error codes shared by the server and the SDK. Every error a
// client can receive carries one of these, on REST (where the Django wire format
// shows it) and always on tRPC (`error.data.appCode`).

export const errorStatus = {
  /** Field errors; `fieldErrors` maps each field (or `non_field_errors`) to its messages. */
  validation_failed: 400,
  /** The body could not be parsed. */
  parse_error: 400,
  /** A request that cannot be served as sent (the seed service's `{message}` errors). */
  invalid_request: 400,
  /** OTP login: wrong username or password, or an inactive account (deliberately indistinguishable). */
  invalid_credentials: 400,
  /** OTP login: the code is wrong, expired, used, superseded or dead after too many tries. */
  otp_invalid: 400,
  /** No credentials were sent to a protected endpoint. */
  not_authenticated: 401,
  /** Wrong username or password, or an inactive account: deliberately indistinguishable. */
  authentication_failed: 401,
  /** `Authorization: Bearer` followed by zero or several values. */
  bad_authorization_header: 401,
  /** The token is malformed, expired, revoked, of the wrong type or badly signed: refresh or log in again. */
  token_not_valid: 401,
  /** The token's user no longer exists. */
  user_not_found: 401,
  /** The token's user is deactivated. */
  user_inactive: 401,
  /**
   * The password was right, but the account has a second factor: no tokens yet.
   * The answer carries `mfa_token` and `methods` (REST body; tRPC `error.data.mfa`)
   * for the second step, `auth.completeMfa` (`POST /api/token/mfa/`).
   */
  mfa_required: 401,
  /** The `mfa_token` is unknown, expired, used, or spent its tries: log in with the password again. */
  mfa_token_invalid: 401,
  /** A TOTP or recovery code that is wrong, outside the time window, or already used. */
  mfa_code_invalid: 400,
  /** TOTP is already on: disable it before enrolling again. */
  totp_already_enabled: 400,
  /** TOTP is not on (or its enrolment expired): nothing to confirm, disable or regenerate. */
  totp_not_enabled: 400,
  /** A passkey registration that could not be verified (challenge, origin, user verification, signature). */
  passkey_invalid: 400,
  /** The request is refused as it stands: a cookie-mode call from another site, for one. */
  permission_denied: 403,
  /** The password was right, but the account's email address is not verified yet (REQUIRE_EMAIL_VERIFICATION). */
  email_not_verified: 403,
  /** The server offers no passkeys (WEBAUTHN_RP_ID is not configured). */
  passkeys_disabled: 403,
  /**
   * A change of password, email or second factors needs a recent authentication
   * (STEP_UP_MAX_AGE): call `auth.reauthenticate` (`POST /api/token/reauthenticate/`), then retry.
   */
  reauthentication_required: 403,
  /** No such object for this caller: another user's, an unknown id or a malformed one. */
  not_found: 404,
  /** A query sent as a mutation, or the other way round. */
  method_not_allowed: 405,
  /** The request's headers did not arrive in time. */
  request_timeout: 408,
  /** The body is over `MAX_BODY_BYTES`. */
  payload_too_large: 413,
  /** The body's content type is not one the server reads. */
  unsupported_media_type: 415,
  /** The request's headers are over 16 KiB. */
  header_fields_too_large: 431,
  /** Too many attempts; `retryAfter` says when to try again (seconds). */
  throttled: 429,
  /** A fault of the server's; the details are in its log, never in the answer. */
  internal_error: 500,
  /** A dependency (the database) is unavailable; retry later. */
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export type FieldErrors = Record<string, string[]>;

/** A second factor the account can complete a login with. */
export type MfaMethod = "totp" | "recovery_code" | "passkey";

/** What `mfa_required` carries: the ticket for the second step and the ways to take it. */
export interface MfaChallenge {
  mfa_token: string;
  methods: MfaMethod[];
}

/** What tRPC clients find in `error.data` besides tRPC's own fields. */
export interface AppErrorData {
  appCode: ErrorCode;
  fieldErrors?: FieldErrors;
  retryAfter?: number;
  /** With `mfa_required`: the second step's ticket and methods. */
  mfa?: MfaChallenge;
}
