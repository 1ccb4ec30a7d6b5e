import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";

/**
 * Key material for asymmetric JWT signing, checked at start-up so that a wrong
 * key stops the server with the variable's name instead of failing the first
 * login. Keys travel through the config as PEM text; the token service imports
 * them once.
 */
export const JWT_ALGORITHMS = ["HS256", "RS256", "EdDSA"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, "HS256">;

const MIN_RSA_BITS = 2048;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** Which algorithm a key signs with, or why it cannot sign JWTs here. */
function algorithmOf(key: KeyObject): { algorithm: AsymmetricAlgorithm } | { problem: string } {
  if (key.asymmetricKeyType === "ed25519") return { algorithm: "EdDSA" };
  if (key.asymmetricKeyType === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return bits >= MIN_RSA_BITS
      ? { algorithm: "RS256" }
      : { problem: `is an RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are needed` };
  }
  return { problem: `is a ${key.asymmetricKeyType ?? "secret"} key; RS256 needs RSA and EdDSA needs Ed25519` };
}

/** Environment values cannot always hold newlines; accept `\n` escapes. */
const withNewlines = (pem: string) => pem.replace(/\\n/g, "\n").trim();

export type KeyResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A PKCS#8 PEM for `algorithm`, from any private-key PEM the key fits. */
export function parsePrivateKey(pem: string, algorithm: AsymmetricAlgorithm): KeyResult<string> {
  let key: KeyObject;
  try {
    key = createPrivateKey(withNewlines(pem));
  } catch {
    return { ok: false, problem: "is not a PEM private key" };
  }
  const kind = algorithmOf(key);
  if ("problem" in kind) return { ok: false, problem: kind.problem };
  if (kind.algorithm !== algorithm) {
    return { ok: false, problem: `is a key for ${kind.algorithm}, but JWT_ALGORITHM is ${algorithm}` };
  }
  return { ok: true, value: String(key.export({ type: "pkcs8", format: "pem" })) };
}

/**
 * Keys that no longer sign but still verify the tokens they signed: a bundle of
 * PEM blocks, public keys or (for convenience) the old private keys.
 */
export function parseRetiredKeys(bundle: string): KeyResult<RetiredKey[]> {
  const blocks = withNewlines(bundle).match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return { ok: false, problem: "holds no PEM key" };
  const keys: RetiredKey[] = [];
  for (const [index, block] of blocks.entries()) {
    let key: KeyObject;
    try {
      key = createPublicKey(block);
    } catch {
      return { ok: false, problem: `key ${index + 1} is not a PEM public or private key` };
    }
    const kind = algorithmOf(key);
    if ("problem" in kind) return { ok: false, problem: `key ${index + 1} ${kind.problem}` };
    keys.push({ algorithm: kind.algorithm, publicKey: String(key.export({ type: "spki", format: "pem" })) });
  }
  return { ok: true, value: keys };
}

export interface RetiredKey {
  readonly algorithm: AsymmetricAlgorithm;
  /** SPKI PEM. */
  readonly publicKey: string;
}

/** A fresh private key as PKCS#8 PEM (development keys, tests). */
export function generatePrivateKey(algorithm: AsymmetricAlgorithm): string {
  const { privateKey } =
    algorithm === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: MIN_RSA_BITS })
      : generateKeyPairSync("ed25519");
  return String(privateKey.export({ type: "pkcs8", format: "pem" }));
}
