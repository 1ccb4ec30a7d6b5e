import type { Client } from "./client-info.js";
import type { Deps } from "./deps.js";

/** What a procedure knows about its caller. Built per request; never throws. */
export interface Context {
  deps: Deps;
  /** The raw `Authorization` header; verified only by protectedProcedure and ownerProcedure. */
  authorization: string | undefined;
  client: Client;
  /** What a procedure hands back besides its output, for the transport to put in headers. */
  reply: ReplyExtras;
}

export interface ReplyExtras {
  /** A device token issued by a successful password login (see services/device-tokens.ts). */
  deviceToken?: string;
}

export interface RequestInfo {
  authorization?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  deviceToken?: string | undefined;
}

export function createContext(deps: Deps, request: RequestInfo = {}): Context {
  return {
    deps,
    authorization: request.authorization,
    client: { ip: request.ip, userAgent: request.userAgent, deviceToken: request.deviceToken },
    reply: {},
  };
}
