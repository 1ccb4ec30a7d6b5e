import type { Deps } from "./deps.js";
import type { AccessClaims } from "./services/auth.js";

/** What a procedure knows about its caller. Built per request; never throws. */
export interface Context {
  deps: Deps;
  /** The raw `Authorization` header; verified only by protectedProcedure and ownerProcedure. */
  authorization: string | undefined;
  client: { ip: string | undefined; userAgent: string | undefined };
  /**
   * Set when the transport has verified the bearer token but not read its user
   * (the REST bridge, which must refuse a bad token before it reads the body).
   */
  accessClaims?: AccessClaims;
}

export interface RequestInfo {
  authorization?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  accessClaims?: AccessClaims | undefined;
}

export function createContext(deps: Deps, request: RequestInfo = {}): Context {
  const context: Context = {
    deps,
    authorization: request.authorization,
    client: { ip: request.ip, userAgent: request.userAgent },
  };
  if (request.accessClaims) context.accessClaims = request.accessClaims;
  return context;
}
