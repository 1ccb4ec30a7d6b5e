import type { IncomingMessage } from "node:http";
import type { ReplyExtras } from "../context.js";
import { DEVICE_TOKEN_LIFETIME_SECONDS } from "../services/device-tokens.js";

// How a device token travels: a browser keeps it in an HttpOnly cookie, any
// other client in the `X-Device-Token` header (the SDK does so by itself).
// Both are answered on a successful password login; either is read back.

export const DEVICE_COOKIE = "jwt_auth_device";
export const DEVICE_HEADER = "x-device-token";

const COOKIE_VALUE = new RegExp(`(?:^|;\\s*)${DEVICE_COOKIE}=([^;]*)`);

/** The device token a request carries: the header wins over the cookie. */
export function deviceTokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers[DEVICE_HEADER];
  if (typeof header === "string") return header;
  const cookie = req.headers.cookie;
  return cookie === undefined ? undefined : COOKIE_VALUE.exec(cookie)?.[1];
}

/** The headers that hand a newly issued device token back; none when nothing was issued. */
export function deviceTokenHeaders(reply: ReplyExtras, secureCookie: boolean): Record<string, string> | undefined {
  const token = reply.deviceToken;
  if (token === undefined) return undefined;
  const secure = secureCookie ? "; Secure" : "";
  return {
    "X-Device-Token": token,
    "Set-Cookie": `${DEVICE_COOKIE}=${token}; Path=/; Max-Age=${DEVICE_TOKEN_LIFETIME_SECONDS}; HttpOnly; SameSite=Lax${secure}`,
  };
}
