import { randomUUID } from "node:crypto";
import { type Algorithm, hash, verify } from "@node-rs/argon2";
import { isDjangoHash, verifyDjangoPassword } from "./django-passwords.js";

/**
 * Password hashing behind a small interface, so tests can inject cheaper
 * parameters. Argon2id runs on libuv's thread pool, never on the event loop.
 * Hashes imported from Django verify too, and are replaced on the next login.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for any hash it cannot read; never throws on bad input. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /**
   * For unknown accounts: spends the time of one real verification, so response
   * times do not reveal which usernames exist. Always false.
   */
  verifyNothing(password: string): Promise<false>;
  /** True when a hash that just verified should be replaced: another algorithm, or other parameters. */
  needsRehash(passwordHash: string): boolean;
}

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's Argon2id recommendation: 19 MiB, two passes, one lane. */
export const ARGON2_DEFAULTS: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

const ARGON2ID = 2 as Algorithm;

export function createArgon2Hasher(params: Argon2Params = ARGON2_DEFAULTS): PasswordHasher {
  const options = { ...params, algorithm: ARGON2ID };
  const current = `$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`;
  let dummyHash: Promise<string> | undefined;

  const hasher: PasswordHasher = {
    hash: (password) => hash(password.normalize("NFKC"), options),
    async verify(passwordHash, password) {
      if (isDjangoHash(passwordHash)) return verifyDjangoPassword(passwordHash, password);
      // Unusable (Django's "!…") or unreadable: as slow as a real verification, and false.
      if (!passwordHash.startsWith("$argon2")) return hasher.verifyNothing(password);
      try {
        return await verify(passwordHash, password.normalize("NFKC"));
      } catch {
        return false;
      }
    },
    async verifyNothing(password) {
      dummyHash ??= hasher.hash(randomUUID());
      await hasher.verify(await dummyHash, password);
      return false;
    },
    needsRehash: (passwordHash) => !passwordHash.startsWith(current),
  };
  return hasher;
}
