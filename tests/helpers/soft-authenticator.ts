import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";

/**
 * A WebAuthn authenticator in software (ES256, "none" attestation), for the
 * server-level tests that need responses a browser would never send: another
 * origin, a replayed challenge, a counter that goes back, no user verification.
 * Every byte follows WebAuthn Level 3 §6.1 (authenticator data) and §6.5.4
 * (attested credential data); the browser tests use Chromium's own authenticator.
 */

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor> | Cbor[];

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
  const out = Buffer.alloc(5);
  out[0] = (major << 5) | 26;
  out.writeUInt32BE(length, 1);
  return out;
}

/** The CBOR subset WebAuthn needs: integers, byte and text strings, arrays, maps (RFC 8949). */
export function cbor(value: Cbor): Buffer {
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest();

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

export interface Ceremony {
  /** Defaults: the authenticator's origin, user verified, the next counter. */
  origin?: string;
  userVerified?: boolean;
  counter?: number;
  rpId?: string;
  type?: string;
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  counter = 0;
  userHandle: Uint8Array | undefined;

  constructor(
    readonly origin: string,
    readonly rpId = new URL(origin).hostname,
    /** false: an authenticator without a signature counter (always 0). */
    readonly keepsCounter = true,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.privateKey = privateKey;
    this.publicJwk = publicKey.export({ format: "jwk" }) as { x: string; y: string };
  }

  get id() {
    return b64url(this.credentialId);
  }

  private authData(flags: number, counter: number, rpId: string, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), "utf8");
  }

  /** The browser's `credential.toJSON()` after navigator.credentials.create(options). */
  create(options: { challenge: string; user: { id: string } }, ceremony: Ceremony = {}) {
    this.userHandle = Buffer.from(options.user.id, "base64url");
    const coseKey = new Map<Cbor, Cbor>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(this.publicJwk.x, "base64url")],
      [-3, Buffer.from(this.publicJwk.y, "base64url")],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, cbor(coseKey)]);
    const flags = UP | AT | (ceremony.userVerified === false ? 0 : UV);
    const authData = this.authData(flags, ceremony.counter ?? 0, ceremony.rpId ?? this.rpId, attested);
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    const clientDataJSON = this.clientData(
      ceremony.type ?? "webauthn.create",
      options.challenge,
      ceremony.origin ?? this.origin,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ["internal"],
      },
      authenticatorAttachment: "platform" as const,
      clientExtensionResults: {},
    };
  }

  /** The browser's `credential.toJSON()` after navigator.credentials.get(options). */
  get(options: { challenge: string }, ceremony: Ceremony = {}) {
    if (this.keepsCounter && ceremony.counter === undefined) this.counter += 1;
    const counter = ceremony.counter ?? (this.keepsCounter ? this.counter : 0);
    const flags = UP | (ceremony.userVerified === false ? 0 : UV);
    const authData = this.authData(flags, counter, ceremony.rpId ?? this.rpId);
    const clientDataJSON = this.clientData(
      ceremony.type ?? "webauthn.get",
      options.challenge,
      ceremony.origin ?? this.origin,
    );
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(this.userHandle ? { userHandle: b64url(this.userHandle) } : {}),
      },
      authenticatorAttachment: "platform" as const,
      clientExtensionResults: {},
    };
  }
}
