import { randomBytes } from "node:crypto";
import type { Secrets } from "../crypto/secrets.js";
import { digest } from "./throttle.js";

// OWASP's "device cookie": a signed proof, issued at a successful password
// login, that this client has logged in to this account before. A client that
// presents one tries passwords against a budget of its own, so a stranger's
// failures (which count against the account's pool for unknown clients) never
// lock the owner's own devices out. It authorizes nothing by itself.

/** A device proves itself for a year after its last successful login. */
export const DEVICE_TOKEN_LIFETIME_SECONDS = 365 * 86400;

const FORMAT = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

const signed = (issuedAt: number, deviceId: string, username: string) =>
  `v1.${issuedAt}.${deviceId}.${digest(username)}`;

/** A new token for this device (a new one at every successful login) and this username. */
export function issueDeviceToken(secrets: Secrets, username: string, now = Date.now()): string {
  const issuedAt = Math.floor(now / 1000);
  const deviceId = randomBytes(16).toString("base64url");
  const mac = Buffer.from(secrets.deviceMac(signed(issuedAt, deviceId, username))).toString("base64url");
  return `v1.${issuedAt}.${deviceId}.${mac}`;
}

/** The device's id when the token is ours, unexpired, and issued for this username; else undefined. */
export function deviceIdFor(
  secrets: Secrets,
  token: string | undefined,
  username: string,
  now = Date.now(),
): string | undefined {
  const match = token === undefined ? null : FORMAT.exec(token);
  if (!match) return undefined;
  const [, issued = "", deviceId = "", mac = ""] = match;
  const issuedAt = Number(issued);
  const age = now / 1000 - issuedAt;
  if (age < -60 || age > DEVICE_TOKEN_LIFETIME_SECONDS) return undefined;
  const expected = secrets.deviceMac(signed(issuedAt, deviceId, username));
  return secrets.equal(expected, Buffer.from(mac, "base64url")) ? deviceId : undefined;
}
