import { type Procedures, procedureKinds } from "./generated/api.js";

/**
 * The procedures that issue, rotate or revoke the session's tokens: whatever
 * answers an access token or takes a refresh token. Called behind the session
 * manager's back (`auth.refresh` would rotate the token it holds, and its next
 * refresh would look like reuse), they would end the session; so they are
 * reached through `client.session` only.
 */
export type SessionProcedure = {
  [P in keyof Procedures]: Procedures[P]["output"] extends { access: string }
    ? P
    : Procedures[P]["input"] extends { refresh: string }
      ? P
      : never;
}[keyof Procedures];

/** Every SessionProcedure, or a compile error naming the one missing (a new procedure that issues tokens). */
function everyOne<T extends string>() {
  return <L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : `missing ${Exclude<T, L[number]>}`)) =>
    new Set<string>(list);
}
const SESSION_PROCEDURES = everyOne<SessionProcedure>()([
  "auth.obtainToken",
  "auth.refresh",
  "auth.blacklist",
  "otp.verify",
  "passkey.login",
  "auth.completeMfa",
  "auth.reauthenticate",
] as const);

type Method<P> = P extends { input: infer I; output: infer O }
  ? [I] extends [undefined]
    ? () => Promise<O>
    : undefined extends I
      ? (input?: Exclude<I, undefined>) => Promise<O>
      : (input: I) => Promise<O>
  : never;

type RouterName = keyof Procedures extends infer P ? (P extends `${infer R}.${string}` ? R : never) : never;

/** Every procedure of the server but the session's, by router: `client.task.list()`, `client.user.me()`, … */
export type Api = {
  [R in RouterName]: {
    [P in Exclude<keyof Procedures, SessionProcedure> as P extends `${R}.${infer N}` ? N : never]: Method<
      Procedures[P]
    >;
  };
};

export function buildApi(call: (path: keyof Procedures, input: unknown) => Promise<unknown>): Api {
  const api: Record<string, Record<string, (input?: unknown) => Promise<unknown>>> = {};
  for (const path of Object.keys(procedureKinds) as Array<keyof Procedures>) {
    if (SESSION_PROCEDURES.has(path)) continue;
    const [router = "", name = ""] = path.split(".");
    api[router] ??= {};
    api[router][name] = (input?: unknown) => call(path, input);
  }
  return api as unknown as Api;
}
