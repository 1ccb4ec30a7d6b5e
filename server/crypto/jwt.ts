import { createHmac, type KeyObject, sign, timingSafeEqual, verify } from "node:crypto";
import type { JwtAlgorithm } from "../signing-keys.js";

/**
 * Compact JWTs (RFC 7515 and 7519) signed and verified with node:crypto.
 *
 * jose, which imports and exports our keys, signs through WebCrypto, and
 * Node runs every WebCrypto operation on its thread pool: an HMAC of a few
 * dozen bytes then costs two thread hand-offs, about eight times the HMAC
 * itself, on every authenticated request (bench/README.md). Here HS256 is
 * computed on the calling thread; RS256 and EdDSA, whose private-key operations
 * take far longer than the hand-off, still go to the pool, through node:crypto's
 * callback form. tests/unit/jwt.test.ts holds `verifyJwt` to jose's verdicts.
 */

export interface JwtKey {
  alg: JwtAlgorithm;
  key: KeyObject;
}

export type JoseHeader = Readonly<Record<string, unknown>> & { alg: string };

export class JwtError extends Error {
  override name = "JwtError";
}

// RS256 hashes with SHA-256; Ed25519 takes the message whole.
const DIGEST: Record<JwtAlgorithm, string | null> = { HS256: "sha256", RS256: "sha256", EdDSA: null };

const base64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/** A signer for one key and header: the header's encoding is the same for every token. */
export function jwtSigner(
  header: { alg: JwtAlgorithm; typ: "JWT"; kid?: string },
  key: KeyObject,
): (claims: object) => Promise<string> {
  const encodedHeader = `${base64url(JSON.stringify(header))}.`;
  return async (claims) => {
    const input = encodedHeader + base64url(JSON.stringify(claims));
    if (header.alg === "HS256") return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`;
    const signature = await new Promise<Buffer>((resolve, reject) =>
      sign(DIGEST[header.alg], Buffer.from(input), key, (error, result) => (error ? reject(error) : resolve(result))),
    );
    return `${input}.${signature.toString("base64url")}`;
  };
}

// Three non-empty base64url segments, no padding: jose's decoder (atob) also
// skips white space and tolerates a stray `=`; no token of ours has either.
const COMPACT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A segment's JSON object, or undefined (not base64url of UTF-8 JSON, or not an object). */
function decodeObject(segment: string): Record<string, unknown> | undefined {
  // A length of 4n + 1 leaves bits that no byte holds: atob refuses it, Buffer would drop them.
  if (segment.length % 4 === 1) return undefined;
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(Buffer.from(segment, "base64url")));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

async function signatureHolds({ alg, key }: JwtKey, input: string, signature: string): Promise<boolean> {
  if (alg === "HS256") {
    // Compared as text: the one encoding of the MAC, so that no other spelling of a token is accepted.
    const expected = Buffer.from(createHmac("sha256", key).update(input).digest("base64url"));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  const bytes = Buffer.from(signature, "base64url");
  if (bytes.toString("base64url") !== signature) return false;
  return new Promise<boolean>((resolve, reject) =>
    verify(DIGEST[alg], Buffer.from(input), key, bytes, (error, valid) => (error ? reject(error) : resolve(valid))),
  );
}

/** A registered time claim (RFC 7519 4.1.4–6): absent, or a number. */
function numericDate(claims: Record<string, unknown>, name: "exp" | "nbf" | "iat"): number | undefined {
  const value = claims[name];
  if (value !== undefined && typeof value !== "number") throw new JwtError(`"${name}" claim must be a number`);
  return value;
}

/**
 * The claims of `token` if it is a compact JWS whose header names one of
 * `algorithms`, whose key `keyFor` finds for that algorithm, and whose
 * signature holds; the times are `checkTimes`'s. A header with `crit` is
 * refused: we understand no extension.
 */
async function signedClaims(
  token: string,
  keyFor: (header: JoseHeader) => JwtKey | undefined,
  algorithms: readonly string[],
): Promise<Record<string, unknown>> {
  if (!COMPACT.test(token)) throw new JwtError("not a compact JWS");
  const headerEnd = token.indexOf(".");
  const payloadEnd = token.indexOf(".", headerEnd + 1);
  const header = decodeObject(token.slice(0, headerEnd));
  if (!header) throw new JwtError("the header is not a JSON object");
  const { alg } = header;
  if (typeof alg !== "string" || !algorithms.includes(alg)) throw new JwtError("algorithm not allowed");
  if (header.crit !== undefined) throw new JwtError("unrecognised critical header");
  const key = keyFor(header as JoseHeader);
  if (!key || key.alg !== alg) throw new JwtError("no key verifies this token");
  if (!(await signatureHolds(key, token.slice(0, payloadEnd), token.slice(payloadEnd + 1)))) {
    throw new JwtError("signature verification failed");
  }
  const claims = decodeObject(token.slice(headerEnd + 1, payloadEnd));
  if (!claims) throw new JwtError("the claims set is not a JSON object");
  return claims;
}

/** `nbf` and `exp` admit `now` (milliseconds), with no leeway; `iat`, when present, is a number. */
function checkTimes(claims: Record<string, unknown>, now: number): void {
  const seconds = Math.floor(now / 1000);
  numericDate(claims, "iat");
  const nbf = numericDate(claims, "nbf");
  if (nbf !== undefined && nbf > seconds) throw new JwtError("not yet valid");
  const exp = numericDate(claims, "exp");
  if (exp !== undefined && exp <= seconds) throw new JwtError("expired");
}

/** The claims of `token` if its signature holds (`signedClaims`) and its times admit `now` (`checkTimes`). */
export async function verifyJwt(
  token: string,
  keyFor: (header: JoseHeader) => JwtKey | undefined,
  algorithms: readonly string[],
  now: number,
): Promise<Record<string, unknown>> {
  const claims = await signedClaims(token, keyFor, algorithms);
  checkTimes(claims, now);
  return claims;
}

/** Ours are a few hundred characters; a longer token is verified every time, never kept. */
const MAX_REMEMBERED_LENGTH = 8192;

/**
 * `verifyJwt` for one set of keys, remembering the last `size` tokens whose
 * signature held, by their whole text: a client sends the same access token
 * with every request for its lifetime, and the HMAC and the two decodes were a
 * quarter of a verify's time (bench/README.md). Only the signature is
 * remembered; the times are checked at every call. The claims it returns are
 * shared between calls, so they are frozen.
 */
export function rememberingJwtVerifier(
  keyFor: (header: JoseHeader) => JwtKey | undefined,
  algorithms: readonly string[],
  size: number,
): (token: string, now: number) => Promise<Readonly<Record<string, unknown>>> {
  const remembered = new Map<string, Readonly<Record<string, unknown>>>();
  return async (token, now) => {
    const known = remembered.get(token);
    if (known) {
      checkTimes(known, now);
      return known;
    }
    const claims = await signedClaims(token, keyFor, algorithms);
    checkTimes(claims, now);
    for (const value of Object.values(claims)) if (typeof value === "object" && value !== null) deepFreeze(value);
    Object.freeze(claims);
    if (token.length > MAX_REMEMBERED_LENGTH) return claims;
    if (remembered.size >= size) remembered.delete(remembered.keys().next().value as string);
    // A copy: the token may be a slice of a request's whole body, which V8 would keep alive with it.
    remembered.set(Buffer.from(token, "latin1").toString("latin1"), claims);
    return claims;
  };
}

function deepFreeze(value: object): void {
  for (const inner of Object.values(value)) if (typeof inner === "object" && inner !== null) deepFreeze(inner);
  Object.freeze(value);
}
