import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { type Algorithm, hash, verify } from "@node-rs/argon2";
import { type Limiter, limitConcurrency } from "./concurrency-limit.js";
import { isDjangoHash, verifyDjangoPassword } from "./django-passwords.js";

/**
 * Password hashing behind a small interface, so tests can inject cheaper
 * parameters. Argon2id runs on libuv's thread pool, never on the event loop.
 * Hashes imported from Django verify too, and are replaced on the next login.
 *
 * Every hash and verification, real or for an unknown account, waits for a
 * slot of one limiter, sized to the cores the process may use: memory-hard
 * hashes run side by side on one core evict each other's 19 MiB from the
 * caches and each takes longer (bench/README.md, "More hashes than cores").
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

/**
 * `limit` is taken by each hash and verification alone, never by one that
 * waits for another (a verification of an unusable hash verifies the dummy).
 */
export function createArgon2Hasher(
  params: Argon2Params = ARGON2_DEFAULTS,
  limit: Limiter = limitConcurrency(availableParallelism()),
): PasswordHasher {
  const options = { ...params, algorithm: ARGON2ID };
  const current = `$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`;
  let dummyHash: Promise<string> | undefined;
  // A dummy that failed to hash is made again at the next call, not kept to fail every login.
  const dummy = () => {
    dummyHash ??= hasher.hash(randomUUID()).catch((error: unknown) => {
      dummyHash = undefined;
      throw error;
    });
    return dummyHash;
  };

  const hasher: PasswordHasher = {
    hash: (password) => limit(() => hash(password.normalize("NFKC"), options)),
    async verify(passwordHash, password) {
      if (isDjangoHash(passwordHash)) return limit(() => verifyDjangoPassword(passwordHash, password));
      // Unusable (Django's "!…") or unreadable: as slow as a real verification, and false.
      if (!passwordHash.startsWith("$argon2")) return hasher.verifyNothing(password);
      try {
        return await limit(() => verify(passwordHash, password.normalize("NFKC")));
      } catch {
        return false;
      }
    },
    async verifyNothing(password) {
      // Once more if the dummy this call waited for failed (dummy() then starts another).
      await hasher.verify(await dummy().catch(dummy), password);
      return false;
    },
    needsRehash: (passwordHash) => !passwordHash.startsWith(current),
  };
  // Made now, so that the first unknown account waits in line once, as every other login does.
  dummy().catch(() => {});
  return hasher;
}
