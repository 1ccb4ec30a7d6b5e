import type { Procedures } from "./generated/api.js";
import { cookieMode } from "./generated/api.js";
import type { Transport } from "./transport.js";

/** What the server hands out when a session starts or is refreshed. */
export interface Grant {
  access: string;
  /** Token mode only: in cookie mode the refresh token stays in the browser's HttpOnly cookie. */
  refresh?: string | undefined;
}

export type LoginInput = Procedures["auth.obtainToken"]["input"];
export type OtpInput = Procedures["otp.verify"]["input"];
export type PasskeyLoginInput = Procedures["passkey.login"]["input"];
export type CompleteMfaInput = Procedures["auth.completeMfa"]["input"];

/**
 * Where the session's tokens come from and go back to: the server's token
 * procedures (token mode), or its cookie-mode session endpoints, where the
 * refresh token never reaches JavaScript.
 */
export interface Authority {
  readonly mode: "token" | "cookie";
  login(input: LoginInput): Promise<Grant>;
  verifyOtp(input: OtpInput): Promise<Grant>;
  loginWithPasskey(input: PasskeyLoginInput): Promise<Grant>;
  /** A login's second step, after `mfa_required`. */
  completeMfa(input: CompleteMfaInput): Promise<Grant>;
  /** A new access token (and, with rotation, refresh token) for the current one. */
  exchange(refresh: string | undefined): Promise<Grant>;
  /** Ends the session on the server. */
  revoke(refresh: string | undefined): Promise<void>;
}

export function tokenAuthority(transport: Transport): Authority {
  const mutate = <T>(path: keyof Procedures, input: unknown) =>
    transport(path, "mutation", input, undefined) as Promise<T>;
  return {
    mode: "token",
    login: (input) => mutate("auth.obtainToken", input),
    verifyOtp: (input) => mutate("otp.verify", input),
    loginWithPasskey: (input) => mutate("passkey.login", input),
    completeMfa: (input) => mutate("auth.completeMfa", input),
    exchange: (refresh) => mutate("auth.refresh", { refresh }),
    revoke: async (refresh) => {
      if (refresh !== undefined) await mutate("auth.blacklist", { refresh });
    },
  };
}

/** `transport` calls the cookie-mode endpoints (`/auth/session/<name>`) with the browser's cookies. */
export function cookieAuthority(transport: Transport): Authority {
  const { procedures } = cookieMode;
  const mutate = <T>(name: string, input?: unknown) => transport(name, "mutation", input, undefined) as Promise<T>;
  return {
    mode: "cookie",
    login: (input) => mutate(procedures.login, input),
    verifyOtp: (input) => mutate(procedures.verifyOtp, input),
    loginWithPasskey: async () => {
      throw new Error("passkey sign-in is not offered in cookie mode yet: use token mode");
    },
    completeMfa: (input) => mutate(procedures.completeMfa, input),
    exchange: () => mutate(procedures.refresh),
    revoke: async () => {
      await mutate(procedures.logout);
    },
  };
}
