import { createHash, pbkdf2, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { verify as argon2Verify } from "@node-rs/argon2";
import { verify as bcryptVerify } from "@node-rs/bcrypt";

/**
 * Password hashes as Django writes them (`<algorithm>$...`), so that accounts
 * imported from the Django service keep their passwords. Django hashes the
 * UTF-8 bytes as typed, never normalised, and so do we here. Each verifier
 * compares in constant time and runs off the event loop. Hashes come from an
 * imported database, but work factors are still capped: a corrupted row must
 * not stall a thread for minutes.
 */
const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const MAX_ARGON2_MEMORY_KIB = 1024 * 1024;
// Django's default is 12; each step doubles the work, and 31 (bcrypt's most) would take a day.
const MAX_BCRYPT_COST = 16;

const utf8 = (text: string) => Buffer.from(text, "utf8");
const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);
const decodeBase64 = (text: string) => (/^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, "base64") : undefined);
const positiveInt = (text: string | undefined) => (text && /^\d{1,10}$/.test(text) ? Number(text) : 0);

type Verifier = (fields: string[], password: string) => Promise<boolean>;

const pbkdf2Verifier =
  (digest: "sha256" | "sha1"): Verifier =>
  async ([iterations, salt, hash], password) => {
    const rounds = positiveInt(iterations);
    const expected = hash === undefined ? undefined : decodeBase64(hash);
    if (rounds < 1 || rounds > MAX_PBKDF2_ITERATIONS || salt === undefined || !expected?.length) return false;
    return sameBytes(await pbkdf2Async(utf8(password), utf8(salt), rounds, expected.length, digest), expected);
  };

const VERIFIERS: Record<string, Verifier> = {
  pbkdf2_sha256: pbkdf2Verifier("sha256"),
  pbkdf2_sha1: pbkdf2Verifier("sha1"),

  // Django keeps the PHC string after its prefix: argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash
  async argon2(fields, password) {
    const params = fields.map((field) => /^m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})$/.exec(field)).find(Boolean);
    if (!params) return false;
    const [memory, passes, lanes] = params.slice(1).map(Number) as [number, number, number];
    if (memory > MAX_ARGON2_MEMORY_KIB || passes > 64 || lanes > 64) return false;
    try {
      return await argon2Verify(`$${fields.join("$")}`, utf8(password));
    } catch {
      return false;
    }
  },

  // bcrypt over the hex SHA-256 of the password, so that long passwords count in full.
  bcrypt_sha256: ([empty, ...rest], password) =>
    bcrypt(empty, rest, createHash("sha256").update(utf8(password)).digest("hex")),
  bcrypt: ([empty, ...rest], password) => bcrypt(empty, rest, password),

  async scrypt([n, salt, r, p, hash], password) {
    const [N, R, P] = [positiveInt(n), positiveInt(r), positiveInt(p)];
    const expected = hash === undefined ? undefined : decodeBase64(hash);
    const memory = 128 * N * R;
    if (N < 2 || (N & (N - 1)) !== 0 || R < 1 || P < 1 || P > 64 || memory > MAX_SCRYPT_MEMORY) return false;
    if (salt === undefined || !expected?.length) return false;
    const derived = await scryptAsync(utf8(password), utf8(salt), expected.length, {
      N,
      r: R,
      p: P,
      maxmem: memory * 2,
    });
    return sameBytes(derived, expected);
  },
};

async function bcrypt(empty: string | undefined, rest: string[], secret: string): Promise<boolean> {
  // Django writes `bcrypt$$2b$12$…`: an empty field, then the modular-crypt string.
  if (empty !== "") return false;
  const cost = rest[1];
  if (cost === undefined || !/^\d{2}$/.test(cost) || Number(cost) > MAX_BCRYPT_COST) return false;
  try {
    return await bcryptVerify(secret, `$${rest.join("$")}`);
  } catch {
    return false;
  }
}

/** True for a hash in one of the formats above; unusable passwords (`!…`) are not. */
export function isDjangoHash(encoded: string): boolean {
  const algorithm = encoded.slice(0, encoded.indexOf("$"));
  return Object.hasOwn(VERIFIERS, algorithm);
}

/** False for a wrong password, an unusable password (`!…`) and anything unreadable; never throws. */
export async function verifyDjangoPassword(encoded: string, password: string): Promise<boolean> {
  const [algorithm = "", ...fields] = encoded.split("$");
  const verifier = Object.hasOwn(VERIFIERS, algorithm) ? VERIFIERS[algorithm] : undefined;
  if (!verifier) return false;
  try {
    return await verifier(fields, password);
  } catch {
    return false;
  }
}
