import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JSONWebKeySet, type JWK } from "jose";
import type { Config } from "../config/config.js";
import type { JoseHeader, JwtKey } from "../crypto/jwt.js";
import type { JwtAlgorithm } from "../signing-keys.js";

/**
 * The keys behind the token service, imported once: the one that signs, and
 * every key that still verifies (the current one, retired ones until their
 * tokens expire, and under RS256/EdDSA the HS256 secret for tokens issued
 * before the switch). Asymmetric keys are told apart by `kid`, the RFC 7638
 * thumbprint of the public key, so the same key always has the same id.
 */
export interface Keyring {
  signer: { key: KeyObject; header: { alg: JwtAlgorithm; typ: "JWT"; kid?: string } };
  /** The key that verifies a token with this header, if any. */
  keyFor(header: JoseHeader): JwtKey | undefined;
  algorithms: JwtAlgorithm[];
  jwks: JSONWebKeySet;
}

interface PublicEntry extends JwtKey {
  jwk: JWK;
}

async function publicEntry(spki: string, alg: Exclude<JwtAlgorithm, "HS256">): Promise<[string, PublicEntry]> {
  const key = createPublicKey(spki);
  const jwk = key.export({ format: "jwk" }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  return [kid, { alg, key, jwk: { ...jwk, kid, alg, use: "sig" } }];
}

export async function loadKeyring(jwt: Config["jwt"]): Promise<Keyring> {
  const hmac =
    jwt.signingKey === undefined
      ? undefined
      : { alg: "HS256" as const, key: createSecretKey(Buffer.from(jwt.signingKey, "utf8")) };

  const byKid = new Map<string, PublicEntry>();
  let signer: Keyring["signer"];
  let current: PublicEntry | undefined;
  if (jwt.algorithm === "HS256") {
    if (!hmac) throw new Error("HS256 needs JWT_SIGNING_KEY");
    signer = { key: hmac.key, header: { alg: "HS256", typ: "JWT" } };
  } else {
    if (jwt.privateKey === undefined) throw new Error(`${jwt.algorithm} needs a private key`);
    const spki = String(createPublicKey(jwt.privateKey).export({ type: "spki", format: "pem" }));
    const [kid, entry] = await publicEntry(spki, jwt.algorithm);
    byKid.set(kid, entry);
    current = entry;
    signer = { key: createPrivateKey(jwt.privateKey), header: { alg: jwt.algorithm, typ: "JWT", kid } };
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

  const keyFor = (header: JoseHeader): JwtKey | undefined => {
    if (header.alg === "HS256") return hmac;
    // Tokens without a kid can only be ours if the current key signed them.
    const entry =
      header.kid === undefined ? current : typeof header.kid === "string" ? byKid.get(header.kid) : undefined;
    return entry && entry.alg === header.alg ? entry : undefined;
  };

  return { signer, keyFor, algorithms, jwks: { keys: [...byKid.values()].map(({ jwk }) => jwk) } };
}
