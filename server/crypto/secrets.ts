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
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), `jwt-auth/${purpose}`, 32));
}

export function createSecrets(secretKey: string): Secrets {
  const otpKey = derive(secretKey, "otp-v1");
  const mailKey = derive(secretKey, "outbox-mail-v1");
  const deviceKey = derive(secretKey, "device-token-v1");
  return {
    otpDigest: (userId, code) => createHmac("sha256", otpKey).update(`${userId}:${code}`).digest(),
    tokenDigest: (token) => sha256(new TextEncoder().encode(token)),
    equal: (a, b) => constantTimeEqual(a, b),
    deviceMac: (data) => createHmac("sha256", deviceKey).update(data).digest(),
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", mailKey, iv);
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]);
    },
    open(sealed) {
      const box = Buffer.from(sealed);
      if (box.length < IV_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", mailKey, box.subarray(0, IV_BYTES));
        decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(box.subarray(IV_BYTES, box.length - TAG_BYTES)),
          decipher.final(),
        ]).toString("utf8");
      } catch {
        return undefined;
      }
    },
  };
}
