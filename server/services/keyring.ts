import { createPublicKey, webcrypto } from "node:crypto";
import {
  calculateJwkThumbprint,
  exportJWK,
  importPKCS8,
  importSPKI,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from "jose";
import type { Config } from "../config/config.js";
import type { JwtAlgorithm } from "../signing-keys.js";

type CryptoKey = webcrypto.CryptoKey;

/**
 * The keys behind the token service, imported once: the one that signs, and
 * every key that still verifies (the current one, retired ones until their
 * tokens expire, and under RS256/EdDSA the HS256 secret for tokens issued
 * before the switch). Asymmetric keys are told apart by `kid`, the RFC 7638
 * thumbprint of the public key, so the same key always has the same id.
 */
export interface Keyring {
  signer: { key: CryptoKey; header: { alg: JwtAlgorithm; typ: "JWT"; kid?: string } };
  verificationKey: JWTVerifyGetKey;
  algorithms: JwtAlgorithm[];
  jwks: JSONWebKeySet;
}

interface PublicEntry {
  alg: JwtAlgorithm;
  key: CryptoKey;
  jwk: JWK;
}

async function publicEntry(spki: string, alg: Exclude<JwtAlgorithm, "HS256">): Promise<[string, PublicEntry]> {
  const key = await importSPKI(spki, alg, { extractable: true });
  const jwk = await exportJWK(key);
  const kid = await calculateJwkThumbprint(jwk);
  return [kid, { alg, key, jwk: { ...jwk, kid, alg, use: "sig" } }];
}

export async function loadKeyring(jwt: Config["jwt"]): Promise<Keyring> {
  const hmac =
    jwt.signingKey === undefined
      ? undefined
      : await webcrypto.subtle.importKey(
          "raw",
          new TextEncoder().encode(jwt.signingKey),
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["sign", "verify"],
        );

  const byKid = new Map<string, PublicEntry>();
  let signer: Keyring["signer"];
  let current: PublicEntry | undefined;
  if (jwt.algorithm === "HS256") {
    if (!hmac) throw new Error("HS256 needs JWT_SIGNING_KEY");
    signer = { key: hmac, header: { alg: "HS256", typ: "JWT" } };
  } else {
    if (jwt.privateKey === undefined) throw new Error(`${jwt.algorithm} needs a private key`);
    const spki = String(createPublicKey(jwt.privateKey).export({ type: "spki", format: "pem" }));
    const [kid, entry] = await publicEntry(spki, jwt.algorithm);
    byKid.set(kid, entry);
    current = entry;
    signer = { key: await importPKCS8(jwt.privateKey, jwt.algorithm), header: { alg: jwt.algorithm, typ: "JWT", kid } };
  }
  for (const retired of jwt.retiredKeys) {
    const [kid, entry] = await publicEntry(retired.publicKey, retired.algorithm);
    if (!byKid.has(kid)) byKid.set(kid, entry);
  }

  const algorithms = [
    ...new Set<JwtAlgorithm>([
      jwt.algorithm,
      ...(hmac ? ["HS256" as const] : []),
      ...jwt.retiredKeys.map((key) => key.algorithm),
    ]),
  ];

  const verificationKey: JWTVerifyGetKey = (header) => {
    if (header.alg === "HS256") {
      if (hmac) return hmac;
    } else {
      // Tokens without a kid can only be ours if the current key signed them.
      const entry = header.kid === undefined ? current : byKid.get(header.kid);
      if (entry && entry.alg === header.alg) return entry.key;
    }
    throw new Error("no key verifies this token");
  };

  return { signer, verificationKey, algorithms, jwks: { keys: [...byKid.values()].map((entry) => entry.jwk) } };
}
