import { randomInt } from "node:crypto";

export const RECOVERY_CODE_COUNT = 10;

// Crockford's base32: no i, l, o or u, so nothing reads as something else.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const GROUPS = 3;
const GROUP_LENGTH = 4;

/** 12 symbols of 5 bits (60 bits), shown as xxxx-xxxx-xxxx. */
export function newRecoveryCode(): string {
  const groups: string[] = [];
  for (let group = 0; group < GROUPS; group += 1) {
    let text = "";
    for (let index = 0; index < GROUP_LENGTH; index += 1) text += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(text);
  }
  return groups.join("-");
}

export const newRecoveryCodes = () => Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);

/**
 * The code as stored (hashed): case, spaces and hyphens ignored, and the
 * letters Crockford reads as digits read so; undefined when it cannot be one.
 */
export function normalizeRecoveryCode(input: string): string | undefined {
  const code = input
    .toLowerCase()
    .replace(/[\s-]+/g, "")
    .replace(/o/g, "0")
    .replace(/[il]/g, "1");
  if (code.length !== GROUPS * GROUP_LENGTH || ![...code].every((char) => ALPHABET.includes(char))) return undefined;
  return code.match(new RegExp(`.{${GROUP_LENGTH}}`, "g"))?.join("-");
}
