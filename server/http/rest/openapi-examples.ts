import type { ProcedurePath } from "../../procedure-table.js";

/**
 * An example request and answer for every operation of the OpenAPI document,
 * so that documentation tools show real-looking values instead of inventing
 * them from the schemas (Swagger UI's `"id": -9007199254740991`). The linter
 * checks each against its schema (tests/docs/openapi.test.ts).
 */
const ACCESS =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzk2MjI0MDk5LCJpYXQiOjE3OTYyMjM3OTksImp0aSI6IjNmMmI4YzFkOWU0YTRkNWI4YzZlN2YxYTJiM2M0ZDVlIiwidXNlcl9pZCI6NDJ9.Lr2b0sU1Rk4zjN1u3JY0nQ8s3f0KQbN6yZfJm0C8e7w";
const REFRESH =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTc5NjMxMDE5OSwiaWF0IjoxNzk2MjIzNzk5LCJqdGkiOiI5YTFiMmMzZDRlNWY2YTdiOGM5ZDBlMWYyYTNiNGM1ZCIsInVzZXJfaWQiOjQyfQ.q9V3hXb2mK8dYl1nR4tP6sA0cF7eJ2uZ5wG1iO3kL8o";

export const exampleUser = {
  id: 42,
  username: "alice",
  email: "alice@example.com",
  first_name: "Alice",
  last_name: "Smith",
};

export const exampleTask = {
  id: 7,
  title: "Write the quarterly report",
  description: "Figures from the finance export",
  is_completed: false,
  created_at: "2026-12-02T09:30:12.345678Z",
  owner: 42,
};

export const exampleTokenPair = { refresh: REFRESH, access: ACCESS };

export const exampleSession = {
  id: "c0a8012e5d3f4b7a9e61f0d2b4c6a8e1",
  created_at: "2026-12-01T08:15:00.000000Z",
  last_used_at: "2026-12-02T09:30:12.000000Z",
  expires_at: "2026-12-31T08:15:00.000000Z",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
  ip: "203.0.113.7",
  current: true,
};

const password = { password: "Correct-Horse-9-Battery", password2: "Correct-Horse-9-Battery" };

const recoveryCodes = {
  recovery_codes: [
    "k7qd-9xr2-mw4p",
    "3hfz-p8nc-t6vu",
    "w2ja-5me9-rk3x",
    "b9tq-h4ws-7ncy",
    "d6xm-2kpr-z8fe",
    "q5vn-j3tb-9hwa",
    "r8ce-6yqm-4dkp",
    "f2ws-t9hx-5mja",
    "u4nb-8rkd-3qzc",
    "y7pe-c2vg-6twm",
  ],
};

const examplePasskey = {
  id: 3,
  name: "Alice's laptop",
  created_at: "2026-12-01T10:04:33.120451Z",
  last_used_at: "2026-12-02T08:12:09.991203Z",
  device_type: "multiDevice",
  backed_up: true,
  transports: ["internal", "hybrid"],
};

const CHALLENGE = "vB7xq1nHk3dZcR0yF9sWm2pLtA5eJ8uG";
const CREDENTIAL_ID = "Ab3xQz9Lm2Kp7Wd1Rt5Yv8Nc";
/** Options for navigator.credentials.get() that name the user's passkeys (second step, step-up). */
const userAssertionOptions = {
  challenge: CHALLENGE,
  timeout: 300000,
  rpId: "auth.example.com",
  allowCredentials: [{ id: CREDENTIAL_ID, type: "public-key", transports: ["internal", "hybrid"] }],
  userVerification: "required",
};

const assertion = {
  id: CREDENTIAL_ID,
  rawId: CREDENTIAL_ID,
  type: "public-key",
  response: {
    clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoidkI3eHExbkhrM2RaIn0",
    authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAABQ",
    signature: "MEUCIQDw3rV2m9pLkX4b8nQcY1tH6sJzA0uF7eG5dR2iW3oK9gIgQ4vT8mN1bC6xZ",
    userHandle: "NDI",
  },
  clientExtensionResults: {},
};

/** The ticket `mfa_required` hands out for the second step. */
export const MFA_TOKEN = "pQ7vN2xK9mWb4RyLs0tHcE6uZa3dJf8g1iOkTz5YwXe";

export interface OperationExample {
  /** The request body; absent for operations without one. */
  request?: Record<string, unknown>;
  /** The success answer's body; absent for 204. */
  response?: unknown;
}

export const operationExamples: Record<ProcedurePath, OperationExample> = {
  "auth.register": {
    request: { username: "alice", email: "alice@example.com", ...password, first_name: "Alice", last_name: "Smith" },
    response: exampleUser,
  },
  "auth.obtainToken": { request: { username: "alice", password: password.password }, response: exampleTokenPair },
  "auth.refresh": { request: { refresh: REFRESH }, response: { access: ACCESS, refresh: REFRESH } },
  "auth.verify": { request: { token: ACCESS }, response: {} },
  "auth.blacklist": { request: { refresh: REFRESH }, response: {} },
  "auth.completeMfa": {
    request: { mfa_token: MFA_TOKEN, method: "totp", code: "482913" },
    response: exampleTokenPair,
  },
  "auth.mfaPasskeyOptions": {
    request: { mfa_token: MFA_TOKEN },
    response: userAssertionOptions,
  },
  "auth.reauthenticate": { request: { password: password.password, code: "482913" }, response: { access: ACCESS } },
  "auth.reauthenticateOptions": {
    response: userAssertionOptions,
  },
  "user.me": { response: exampleUser },
  "user.changePassword": {
    request: { old_password: "Old-Password-1", ...password },
    response: { message: "Password updated successfully." },
  },
  "user.sessions": { response: [exampleSession] },
  "user.revokeSession": {},
  "user.revokeAllSessions": { response: { revoked: 3 } },
  "task.list": { response: [exampleTask] },
  "task.page": {
    response: {
      count: 45,
      next: "http://localhost:8000/api/tasks/?limit=20&offset=40",
      previous: "http://localhost:8000/api/tasks/?limit=20&offset=0",
      results: [exampleTask],
    },
  },
  "task.byId": { response: exampleTask },
  "task.create": {
    request: { title: "Write the quarterly report", description: "Figures from the finance export" },
    response: exampleTask,
  },
  "task.update": {
    request: {
      title: "Write the quarterly report",
      description: "Figures from the finance export",
      is_completed: true,
    },
    response: { ...exampleTask, is_completed: true },
  },
  "task.patch": { request: { is_completed: true }, response: { ...exampleTask, is_completed: true } },
  "task.remove": {},
  "otp.request": {
    request: { username: "alice", password: password.password },
    response: { message: "OTP sent to your registered email address." },
  },
  "otp.verify": { request: { username: "alice", otp: "482913" }, response: exampleTokenPair },
  "passwordReset.request": {
    request: { email: "alice@example.com" },
    response: { message: "If an account with that email exists, a password reset email has been sent." },
  },
  "passwordReset.confirm": {
    request: { uid: "NDI", token: "Zq3xK9vT2mWb7RyLp0sNcE4uHa6dJf1g8iOkQz5YwXe", ...password },
    response: { message: "Password has been reset." },
  },
  "mfa.status": { response: { totp: true, recovery_codes_remaining: 9, passkeys: 1 } },
  "mfa.regenerateRecoveryCodes": { request: { code: "482913" }, response: recoveryCodes },
  "totp.begin": {
    response: {
      secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
      otpauth_uri:
        "otpauth://totp/JWT%20Auth:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=JWT%20Auth&algorithm=SHA1&digits=6&period=30",
      qr_svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 41 41"><path d="M4 4h7v7H4z"/></svg>',
    },
  },
  "totp.confirm": { request: { code: "482913" }, response: recoveryCodes },
  "totp.disable": { request: { code: "482913" }, response: {} },
  "passkey.registrationOptions": {
    response: {
      rp: { name: "JWT Auth", id: "auth.example.com" },
      user: { id: "NDI", name: "alice", displayName: "Alice Smith" },
      challenge: CHALLENGE,
      pubKeyCredParams: [
        { alg: -8, type: "public-key" },
        { alg: -7, type: "public-key" },
        { alg: -257, type: "public-key" },
      ],
      timeout: 300000,
      excludeCredentials: [],
      authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
      attestation: "none",
      extensions: { credProps: true },
    },
  },
  "passkey.register": {
    request: {
      name: "Alice's laptop",
      credential: {
        id: CREDENTIAL_ID,
        rawId: CREDENTIAL_ID,
        type: "public-key",
        response: {
          clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoidkI3eHExbkhrM2RaIn0",
          attestationObject:
            "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YViYSZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAAA",
          transports: ["internal", "hybrid"],
        },
        clientExtensionResults: { credProps: { rk: true } },
      },
    },
    response: { ...examplePasskey, last_used_at: null },
  },
  "passkey.list": { response: [examplePasskey] },
  "passkey.rename": { request: { name: "Alice's laptop" }, response: examplePasskey },
  "passkey.remove": {},
  "passkey.loginOptions": {
    response: { challenge: CHALLENGE, timeout: 300000, rpId: "auth.example.com", userVerification: "required" },
  },
  "passkey.login": { request: { credential: assertion }, response: exampleTokenPair },
  "email.status": { response: { email: "alice@example.com", verified: true, pending_email: null } },
  "email.change": {
    request: { email: "alice@work.example.com", password: password.password },
    response: { message: "A verification link was sent to the new address; the change takes effect once it is used." },
  },
  "email.verify": {
    request: { token: "Hk2vQ9xZ3mWb7RyLp0sNcE4uTa6dJf1g8iOkPz5YwXr" },
    response: { message: "Your email address has been verified." },
  },
  "email.resend": {
    request: { email: "alice@example.com" },
    response: { message: "If that address belongs to an account waiting for verification, a new link has been sent." },
  },
};
