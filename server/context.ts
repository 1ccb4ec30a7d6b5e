import type { Deps } from "./deps.js";
import type { Authenticated } from "./services/auth.js";

/** What a procedure knows about its caller. Built per request; never throws. */
export interface Context {
  deps: Deps;
  /** The raw `Authorization` header; verified only by protectedProcedure. */
  authorization: string | undefined;
  client: { ip: string | undefined; userAgent: string | undefined };
  /** Set when the transport has already verified the bearer token (the REST bridge does, as DRF does, before reading the body). */
  authenticated?: Authenticated;
}

export interface RequestInfo {
  authorization?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  authenticated?: Authenticated | undefined;
}

export function createContext(deps: Deps, request: RequestInfo = {}): Context {
  const context: Context = {
    deps,
    authorization: request.authorization,
    client: { ip: request.ip, userAgent: request.userAgent },
  };
  if (request.authenticated) context.authenticated = request.authenticated;
  return context;
}
