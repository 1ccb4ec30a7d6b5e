import { randomBytes } from "node:crypto";
import type { Secrets } from "../crypto/secrets.js";
import { digest } from "./throttle.js";

// OWASP's "device cookie": a signed proof, issued at a successful password
// login, that this client has logged in to this account before. A client that
// presents one tries passwords against a budget of its own, so a stranger's
// failures (which count against the account's pool for unknown clients) never
// lock the owner's own devices out. It authorizes nothing by itself. It names
// the account (id and username) and the account's token version, so a password
// change, a reset or "log out everywhere" ends the trust of every device token
// issued before it: tokens harvested by someone who once knew the password
// become no better than none.

/** A device proves itself for a year after its last successful login. */
export const DEVICE_TOKEN_LIFETIME_SECONDS = 365 * 86400;

const FORMAT = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** The account a device token is for: its id, its username, and its token version when issued. */
export interface DeviceAccount {
  id: number;
  username: string;
  tokenVersion: number;
}

const signed = (issuedAt: number, deviceId: string, account: DeviceAccount) =>
  `v1.${issuedAt}.${deviceId}.${digest(account.username)}.${account.id}.${account.tokenVersion}`;

/** A new token for this device (a new one at every successful login) and this account, as it is now. */
export function issueDeviceToken(secrets: Secrets, account: DeviceAccount, now = Date.now()): string {
  const issuedAt = Math.floor(now / 1000);
  const deviceId = randomBytes(16).toString("base64url");
  const mac = Buffer.from(secrets.deviceMac(signed(issuedAt, deviceId, account))).toString("base64url");
  return `v1.${issuedAt}.${deviceId}.${mac}`;
}

/** The device's id when the token is ours, unexpired, and issued for this account since its last revocation; else undefined. */
export function deviceIdFor(
  secrets: Secrets,
  token: string | undefined,
  account: DeviceAccount | undefined,
  now = Date.now(),
): string | undefined {
  const match = token === undefined ? null : FORMAT.exec(token);
  if (!match || account === undefined) return undefined;
  const [, issued = "", deviceId = "", mac = ""] = match;
  const issuedAt = Number(issued);
  const age = now / 1000 - issuedAt;
  if (age < -60 || age > DEVICE_TOKEN_LIFETIME_SECONDS) return undefined;
  const expected = secrets.deviceMac(signed(issuedAt, deviceId, account));
  return secrets.equal(expected, Buffer.from(mac, "base64url")) ? deviceId : undefined;
}
