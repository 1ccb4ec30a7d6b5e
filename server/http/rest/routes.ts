import type { IncomingMessage } from "node:http";
import type { ZodType } from "zod";
import { restTaskPage, type TaskPage } from "../../contracts/task.js";
import type { ProcedurePath } from "../../procedure-table.js";
import { drfPage } from "./pagination.js";
import { strongAuthRoutes } from "./strong-auth-routes.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RestRoute {
  method: HttpMethod;
  /** With the trailing slash, as the Django service spells it; `:name` is a path parameter. */
  path: string;
  procedure: ProcedurePath;
  /** Success status; 204 sends no body. */
  status?: 200 | 201 | 204;
  /**
   * The seed service's login endpoints answer every 400 as `{message}`; this is
   * the message for a body that fails the contract.
   */
  invalidInputMessage?: string;
  summary: string;
  tags: string[];
  /** Needs `Authorization: Bearer <access token>`. */
  auth?: boolean;
  /** Path parameters that are text (the default is a positive integer id). */
  textParams?: readonly string[];
  /**
   * The fields DRF's leniency applies to (see coerce.ts); all by default. The
   * seed service's login views read the body raw, so they list few or none.
   */
  lenientFields?: readonly string[];
  /** When several rows share a method and path, the first whose test passes serves the request. */
  when?: (url: URL) => boolean;
  /** Turns the procedure's output into the REST body (documented by `restOutput`). */
  present?: (output: never, req: IncomingMessage, url: URL) => unknown;
  restOutput?: ZodType;
  /** Errors beyond the usual ones, for the OpenAPI document: status to what it means (`{detail, code}` bodies). */
  moreErrors?: Readonly<Record<number, string>>;
}

const paginated = (url: URL) => url.searchParams.has("limit") || url.searchParams.has("offset");

/** The REST surface: one row per procedure, wire-compatible with the Django service (CONTRACT.md). */
export const routes: readonly RestRoute[] = [
  {
    method: "POST",
    path: "/api/users/register/",
    procedure: "auth.register",
    status: 201,
    summary: "Create an account",
    tags: ["auth"],
  },
  {
    method: "POST",
    path: "/api/token/",
    procedure: "auth.obtainToken",
    summary: "Log in: username and password to a token pair",
    tags: ["auth"],
    moreErrors: {
      401: "Wrong credentials; or, for an account with a second factor, `mfa_required` with `mfa_token` and `methods`: no tokens until `POST /api/token/mfa/`",
      403: "The account's email address is not verified (`email_not_verified`)",
    },
  },
  {
    method: "POST",
    path: "/api/token/refresh/",
    procedure: "auth.refresh",
    summary: "Exchange a refresh token for a new pair (rotation)",
    tags: ["auth"],
  },
  {
    method: "POST",
    path: "/api/token/verify/",
    procedure: "auth.verify",
    summary: "Check that a token is valid",
    tags: ["auth"],
  },
  {
    method: "POST",
    path: "/api/token/blacklist/",
    procedure: "auth.blacklist",
    summary: "Log out: revoke a refresh token",
    tags: ["auth"],
  },
  {
    method: "GET",
    path: "/api/users/profile/",
    procedure: "user.me",
    auth: true,
    summary: "The caller's profile",
    tags: ["user"],
  },
  {
    method: "POST",
    path: "/api/users/change-password/",
    procedure: "user.changePassword",
    auth: true,
    summary: "Change the caller's password",
    tags: ["user"],
    moreErrors: {
      403: "An account with a second factor whose last authentication is older than STEP_UP_MAX_AGE (`reauthentication_required`)",
    },
  },
  {
    method: "GET",
    path: "/api/tasks/",
    procedure: "task.page",
    auth: true,
    when: paginated,
    present: (page: TaskPage, req, url) => drfPage(page, req, url),
    restOutput: restTaskPage,
    summary: "A page of the caller's tasks (with ?limit= and/or ?offset=)",
    tags: ["tasks"],
  },
  {
    method: "GET",
    path: "/api/tasks/",
    procedure: "task.list",
    auth: true,
    summary: "The caller's tasks",
    tags: ["tasks"],
  },
  {
    method: "POST",
    path: "/api/tasks/",
    procedure: "task.create",
    status: 201,
    auth: true,
    summary: "Create a task",
    tags: ["tasks"],
  },
  {
    method: "GET",
    path: "/api/tasks/:id/",
    procedure: "task.byId",
    auth: true,
    summary: "One of the caller's tasks",
    tags: ["tasks"],
  },
  {
    method: "PUT",
    path: "/api/tasks/:id/",
    procedure: "task.update",
    auth: true,
    summary: "Replace a task (title required)",
    tags: ["tasks"],
  },
  {
    method: "PATCH",
    path: "/api/tasks/:id/",
    procedure: "task.patch",
    auth: true,
    summary: "Change some fields of a task",
    tags: ["tasks"],
  },
  {
    method: "DELETE",
    path: "/api/tasks/:id/",
    procedure: "task.remove",
    status: 204,
    auth: true,
    summary: "Delete a task",
    tags: ["tasks"],
  },
  {
    method: "POST",
    path: "/api/login/",
    procedure: "otp.request",
    invalidInputMessage: "Username and password are required.",
    lenientFields: [],
    summary: "OTP login, step one: check the password and mail a 6-digit code",
    tags: ["auth"],
    moreErrors: {
      401: "An account with a second factor (TOTP, passkey) gets no email code but `mfa_required` with `mfa_token` and `methods`, for `POST /api/token/mfa/`",
      403: "The account's email address is not verified (`email_not_verified`)",
    },
  },
  {
    method: "POST",
    path: "/api/verify-otp/",
    procedure: "otp.verify",
    invalidInputMessage: "Username and OTP are required.",
    lenientFields: ["otp"],
    summary: "OTP login, step two: the mailed code to a token pair",
    tags: ["auth"],
    moreErrors: {
      401: "A code mailed before the account enrolled a second factor: `mfa_required` with `mfa_token` and `methods`, for `POST /api/token/mfa/`",
    },
  },
  {
    method: "POST",
    path: "/api/users/password-reset/",
    procedure: "passwordReset.request",
    summary: "Mail a password-reset token (the same answer for unknown emails)",
    tags: ["user"],
  },
  {
    method: "POST",
    path: "/api/users/password-reset/confirm/",
    procedure: "passwordReset.confirm",
    summary: "Set a new password with the mailed uid and token",
    tags: ["user"],
  },
  {
    method: "GET",
    path: "/api/users/sessions/",
    procedure: "user.sessions",
    auth: true,
    summary: "The caller's live sessions: created, last used, user agent, IP",
    tags: ["user"],
  },
  {
    method: "POST",
    path: "/api/users/sessions/revoke-all/",
    procedure: "user.revokeAllSessions",
    auth: true,
    summary: "Log out everywhere: end every session and refuse every access token issued so far",
    tags: ["user"],
  },
  {
    method: "DELETE",
    path: "/api/users/sessions/:id/",
    procedure: "user.revokeSession",
    status: 204,
    auth: true,
    textParams: ["id"],
    summary: "End one session",
    tags: ["user"],
  },
  ...strongAuthRoutes,
];
