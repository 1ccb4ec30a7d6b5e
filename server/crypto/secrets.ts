import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";

/**
 * Keys derived from SECRET_KEY (HKDF, one per purpose), and what is done with
 * them: keyed hashes of short secrets, plain hashes of long random ones, and
 * sealing of mail bodies at rest.
 */
export interface Secrets {
  /** HMAC-SHA-256 for low-entropy secrets (6-digit codes): useless without the key. */
  otpDigest(userId: number, code: string): Uint8Array;
  /** SHA-256 for high-entropy tokens (reset tokens), which cannot be guessed anyway. */
  tokenDigest(token: string): Uint8Array;
  equal(a: Uint8Array, b: Uint8Array): boolean;
  /** HMAC-SHA-256 that signs device tokens (see services/device-tokens.ts). */
  deviceMac(data: string): Uint8Array;
  seal(plaintext: string): Uint8Array;
  /** Undefined when the box was sealed under another key or was tampered with. */
  open(sealed: Uint8Array): string | undefined;
  /** A TOTP secret sealed for one user: it opens only under this key and for that user. */
  sealTotpSecret(userId: number, secret: Uint8Array): Uint8Array;
  openTotpSecret(userId: number, sealed: Uint8Array): Uint8Array | undefined;
  /** HMAC-SHA-256 of a recovery code (normalized), under its own key. */
  recoveryCodeDigest(userId: number, code: string): Uint8Array;
  /** HMAC-SHA-256 binding the admin console's CSRF token to its cookie. */
  adminCsrfMac(cookie: string): Uint8Array;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), `jwt-auth/${purpose}`, 32));
}

function sealWith(key: Buffer, plaintext: Uint8Array, associated?: string): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (associated !== undefined) cipher.setAAD(Buffer.from(associated, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function openWith(key: Buffer, sealed: Uint8Array, associated?: string): Buffer | undefined {
  const box = Buffer.from(sealed);
  if (box.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, box.subarray(0, IV_BYTES));
    if (associated !== undefined) decipher.setAAD(Buffer.from(associated, "utf8"));
    decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
    return Buffer.concat([decipher.update(box.subarray(IV_BYTES, box.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function createSecrets(secretKey: string): Secrets {
  const otpKey = derive(secretKey, "otp-v1");
  const mailKey = derive(secretKey, "outbox-mail-v1");
  const deviceKey = derive(secretKey, "device-token-v1");
  const totpKey = derive(secretKey, "totp-secret-v1");
  const recoveryKey = derive(secretKey, "recovery-code-v1");
  const adminCsrfKey = derive(secretKey, "admin-csrf-v1");
  return {
    otpDigest: (userId, code) => createHmac("sha256", otpKey).update(`${userId}:${code}`).digest(),
    tokenDigest: (token) => sha256(new TextEncoder().encode(token)),
    equal: (a, b) => constantTimeEqual(a, b),
    deviceMac: (data) => createHmac("sha256", deviceKey).update(data).digest(),
    seal: (plaintext) => sealWith(mailKey, Buffer.from(plaintext, "utf8")),
    open: (sealed) => openWith(mailKey, sealed)?.toString("utf8"),
    sealTotpSecret: (userId, secret) => sealWith(totpKey, secret, `totp:${userId}`),
    openTotpSecret: (userId, sealed) => openWith(totpKey, sealed, `totp:${userId}`),
    recoveryCodeDigest: (userId, code) => createHmac("sha256", recoveryKey).update(`${userId}:${code}`).digest(),
    adminCsrfMac: (cookie) => createHmac("sha256", adminCsrfKey).update(cookie).digest(),
  };
}
