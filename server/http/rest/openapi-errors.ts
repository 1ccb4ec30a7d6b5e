// The error answers of the REST surface, as OpenAPI components: the bodies
// (DRF's and simplejwt's shapes), their headers, and the responses that every
// operation shares, each with an example of what the server sends.

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const detail = (text: string) => ({ "application/json": { schema: ref("Detail"), example: { detail: text } } });

export const errorSchemas = {
  FieldErrors: {
    type: "object",
    description:
      "DRF field errors: each field (or `non_field_errors`) with its messages, in the serializer's field order.",
    additionalProperties: { type: "array", items: { type: "string" } },
    example: { username: ["A user with that username already exists."] },
  },
  CodedError: {
    type: "object",
    description: "An error with its machine code (see server/contracts/errors.ts).",
    required: ["detail"],
    properties: { detail: { type: "string" }, code: { type: "string" } },
    example: { detail: "Invalid or expired code.", code: "mfa_code_invalid" },
  },
  MfaRequired: {
    type: "object",
    description:
      "The password was right, but the account has a second factor: no tokens. Send `mfa_token` with one of `methods` to `POST /api/token/mfa/` within 5 minutes.",
    required: ["detail", "code", "mfa_token", "methods"],
    properties: {
      detail: { type: "string" },
      code: { type: "string", enum: ["mfa_required"] },
      mfa_token: { type: "string", description: "Single-use ticket for the second step (5 minutes, 5 tries)" },
      methods: { type: "array", items: { type: "string", enum: ["totp", "recovery_code", "passkey"] } },
    },
    example: {
      detail: "A second factor is required.",
      code: "mfa_required",
      mfa_token: "pQ7vN2xK9mWb4RyLs0tHcE6uZa3dJf8g1iOkTz5YwXe",
      methods: ["totp", "recovery_code", "passkey"],
    },
  },
  Detail: {
    type: "object",
    description: "DRF's body for errors that belong to no field.",
    required: ["detail"],
    properties: { detail: { type: "string" } },
    example: { detail: "Not found." },
  },
  AuthError: {
    type: "object",
    description: "simplejwt's 401 body; `code` is absent when no credentials were sent.",
    required: ["detail"],
    properties: {
      detail: { type: "string" },
      code: {
        type: "string",
        enum: ["bad_authorization_header", "token_not_valid", "user_not_found", "user_inactive"],
      },
      messages: {
        type: "array",
        items: {
          type: "object",
          properties: { token_class: { type: "string" }, token_type: { type: "string" }, message: { type: "string" } },
        },
      },
    },
    example: { detail: "Given token not valid for any token type", code: "token_not_valid" },
  },
};

export const errorHeaders = {
  RetryAfter: {
    description: "Seconds to wait before trying again.",
    schema: { type: "integer", minimum: 1 },
    example: 60,
  },
  WWWAuthenticate: {
    description: "The scheme to authenticate with.",
    schema: { type: "string" },
    example: 'Bearer realm="api"',
  },
};

export const errorResponses = {
  Unauthorized: {
    description: "No credentials, wrong credentials, or a token that is not valid (refresh it, or log in again)",
    headers: { "WWW-Authenticate": { $ref: "#/components/headers/WWWAuthenticate" } },
    content: {
      "application/json": {
        schema: ref("AuthError"),
        examples: {
          noCredentials: { value: { detail: "Authentication credentials were not provided." } },
          tokenNotValid: {
            value: {
              detail: "Given token not valid for any token type",
              code: "token_not_valid",
              messages: [{ token_class: "AccessToken", token_type: "access", message: "Token is invalid or expired" }],
            },
          },
        },
      },
    },
  },
  NotFound: { description: "No such object of the caller's", content: detail("Not found.") },
  MethodNotAllowed: { description: "Another method of this path", content: detail('Method "PUT" not allowed.') },
  NotAcceptable: {
    description: "The Accept header allows no JSON",
    content: detail("Could not satisfy the request Accept header."),
  },
  PayloadTooLarge: {
    description: "A body over MAX_BODY_BYTES",
    content: detail("Request body is too large (the limit is 2621440 bytes)."),
  },
  UnsupportedMediaType: {
    description: "A body that is not JSON, form-encoded or multipart",
    content: detail('Unsupported media type "text/plain" in request.'),
  },
  Throttled: {
    description: "Too many attempts: wait as long as Retry-After says",
    headers: { "Retry-After": { $ref: "#/components/headers/RetryAfter" } },
    content: detail("Request was throttled. Expected available in 60 seconds."),
  },
  Unavailable: {
    description: "The database does not answer: try again after Retry-After",
    headers: { "Retry-After": { $ref: "#/components/headers/RetryAfter" } },
    content: detail("Service temporarily unavailable, try again later."),
  },
};

/** The 400 of an operation with a body: field errors (or the seed service's `{message}`), or an unparseable body. */
export function badRequest(bodyStyle: "fields" | "message", hasBody: boolean) {
  const invalid =
    bodyStyle === "message"
      ? { schema: ref("Message"), example: { message: "Invalid credentials" } }
      : { schema: ref("FieldErrors"), example: { title: ["This field is required."] } };
  if (!hasBody) {
    return { description: "Invalid query parameters", content: { "application/json": invalid } };
  }
  return {
    description:
      bodyStyle === "message"
        ? "Missing fields or a failed login step (`{message}`), or a body that could not be parsed (`{detail}`)"
        : "Field errors, or a body that could not be parsed (`{detail}`)",
    content: {
      "application/json": {
        schema: { oneOf: [invalid.schema, ref("Detail")] },
        examples: {
          invalid: { value: invalid.example },
          unparseable: { value: { detail: "JSON parse error - Expected property name or '}' in JSON at position 1" } },
        },
      },
    },
  };
}
