import { createHmac, createPrivateKey, createPublicKey, createSecretKey, sign } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { importPKCS8, importSPKI, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { type JoseHeader, type JwtKey, jwtSigner, rememberingJwtVerifier, verifyJwt } from "../../server/crypto/jwt.js";
import { createTokenService } from "../../server/services/tokens.js";
import { generatePrivateKey } from "../../server/signing-keys.js";

// server/crypto/jwt.ts signs and verifies with node:crypto; jose is the
// reference. Every verdict here is jose's, but for the forms listed in
// `STRICTER`, which we refuse on purpose and jose accepts.

const SECRET = "a-signing-key-for-the-jwt-module-tests-0123";
const hmacKey: JwtKey = { alg: "HS256", key: createSecretKey(Buffer.from(SECRET)) };
const rsaPem = generatePrivateKey("RS256");
const edPem = generatePrivateKey("EdDSA");
const rsaPublic = createPublicKey(rsaPem);
const edPublic = createPublicKey(edPem);
const now = Date.UTC(2026, 11, 4, 12, 0, 0);
const seconds = now / 1000;
const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** The same keys for both verifiers: by the header's alg (and for RS256 a kid). */
const ours = (header: JoseHeader): JwtKey | undefined =>
  header.alg === "HS256"
    ? hmacKey
    : header.alg === "RS256" && header.kid === "rsa"
      ? { alg: "RS256", key: rsaPublic }
      : header.alg === "EdDSA"
        ? { alg: "EdDSA", key: edPublic }
        : undefined;
const joseKeys = {
  HS256: new TextEncoder().encode(SECRET),
  RS256: await importSPKI(String(rsaPublic.export({ type: "spki", format: "pem" })), "RS256"),
  EdDSA: await importSPKI(String(edPublic.export({ type: "spki", format: "pem" })), "EdDSA"),
};
const joseKeyFor = (header: { alg?: string; kid?: unknown }) => {
  const key = ours(header as JoseHeader);
  if (!key) throw new Error("no key");
  return joseKeys[key.alg];
};
const ALGORITHMS = ["HS256", "RS256", "EdDSA"];
const jwtConfig = {
  algorithm: "HS256" as const,
  signingKey: SECRET,
  privateKey: undefined,
  retiredKeys: [],
  accessTokenLifetime: 300,
  refreshTokenLifetime: 3600,
  rotateRefreshTokens: true,
  blacklistAfterRotation: true,
  refreshReuseInterval: 0,
  sessionMaxLifetime: 3600,
};

async function verdicts(token: string) {
  const mine = await verifyJwt(token, ours, ALGORITHMS, now).then(
    (claims) => ({ ok: true, claims }),
    () => ({ ok: false }),
  );
  const reference = await jwtVerify(token, joseKeyFor, { algorithms: ALGORITHMS, currentDate: new Date(now) }).then(
    ({ payload }) => ({ ok: true, claims: payload as unknown }),
    () => ({ ok: false }),
  );
  return { mine, reference };
}

/** A token with exactly this header and these claims (raw strings go in as they are), HMAC-signed. */
function hs(header: unknown, claims: unknown, secret = SECRET): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

function signedWith(pem: string, alg: "RS256" | "EdDSA", header: unknown, claims: unknown): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = sign(alg === "RS256" ? "sha256" : null, Buffer.from(input), createPrivateKey(pem));
  return `${input}.${signature.toString("base64url")}`;
}

const good = { token_type: "access", exp: seconds + 300, iat: seconds, jti: "a".repeat(40), user_id: 7 };
const header = { alg: "HS256", typ: "JWT" };

const CASES: Record<string, string> = {
  "a good HS256 token": hs(header, good),
  "a good RS256 token": signedWith(rsaPem, "RS256", { alg: "RS256", typ: "JWT", kid: "rsa" }, good),
  "a good EdDSA token": signedWith(edPem, "EdDSA", { alg: "EdDSA", typ: "JWT" }, good),
  "no typ": hs({ alg: "HS256" }, good),
  "an odd typ": hs({ alg: "HS256", typ: "at+jwt" }, good),
  "expired a second ago": hs(header, { ...good, exp: seconds - 1 }),
  "expiring this very second": hs(header, { ...good, exp: seconds }),
  "expiring a second from now": hs(header, { ...good, exp: seconds + 1 }),
  "no exp": hs(header, { ...good, exp: undefined }),
  "exp as a string": hs(header, { ...good, exp: String(seconds + 300) }),
  "exp null": hs(header, { ...good, exp: null }),
  "a fractional exp": hs(header, { ...good, exp: seconds + 0.5 }),
  "nbf in the future": hs(header, { ...good, nbf: seconds + 1 }),
  "nbf now": hs(header, { ...good, nbf: seconds }),
  "nbf as a string": hs(header, { ...good, nbf: "0" }),
  "iat as a string": hs(header, { ...good, iat: "now" }),
  "iat in the future (jose leaves that to us)": hs(header, { ...good, iat: seconds + 100 }),
  "a claims set that is an array": hs(header, [good]),
  "a claims set that is null": hs(header, null),
  "a claims set that is not JSON": hs(header, "not json"),
  "a claims set of invalid UTF-8": (() => {
    const input = `${b64(header)}.${Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString("base64url")}`;
    return `${input}.${createHmac("sha256", SECRET).update(input).digest("base64url")}`;
  })(),
  "a header that is an array": hs([header], good),
  "a header that is not JSON": hs("{alg", good),
  "alg none, unsigned": `${b64({ alg: "none" })}.${b64(good)}.`,
  "alg none with a signature": hs({ alg: "none" }, good),
  "alg missing": hs({ typ: "JWT" }, good),
  "alg HS384 (not allowed)": (() => {
    const input = `${b64({ alg: "HS384" })}.${b64(good)}`;
    return `${input}.${createHmac("sha384", SECRET).update(input).digest("base64url")}`;
  })(),
  "alg as a number": hs({ alg: 256 }, good),
  "a stranger's secret": hs(header, good, "someone-else's-secret-0123456789-abcdef"),
  "the RSA public key used as an HMAC secret": hs(
    { alg: "HS256", kid: "rsa" },
    good,
    String(rsaPublic.export({ type: "spki", format: "pem" })),
  ),
  "RS256 with an unknown kid": signedWith(rsaPem, "RS256", { alg: "RS256", kid: "other" }, good),
  "RS256 with no kid": signedWith(rsaPem, "RS256", { alg: "RS256" }, good),
  "RS256 header, HMAC signature": hs({ alg: "RS256", kid: "rsa" }, good),
  "EdDSA signed by another key": signedWith(generatePrivateKey("EdDSA"), "EdDSA", { alg: "EdDSA" }, good),
  "a tampered claims set": (() => {
    const [h, , s] = hs(header, good).split(".");
    return `${h}.${b64({ ...good, user_id: 1 })}.${s}`;
  })(),
  "a truncated signature": hs(header, good).slice(0, -2),
  "no signature": hs(header, good).replace(/\.[^.]*$/, "."),
  "two segments": hs(header, good).replace(/\.[^.]*$/, ""),
  "four segments": `${hs(header, good)}.x`,
  "an empty string": "",
  "base64 rather than base64url": hs(header, { ...good, jti: "\u00ff\u00fe>>>???" })
    .replace(/-/g, "+")
    .replace(/_/g, "/"),
  "a header of 4n + 1 characters": (() => {
    const token = hs(header, good);
    return `${token.split(".")[0]}A.${token.split(".").slice(1).join(".")}`;
  })(),
};

/** Forms jose accepts and we refuse: an extension we do not implement, and other spellings of the same token. */
const STRICTER: Record<string, string> = {
  "crit naming b64 (jose recognises that extension; we recognise none)": hs(
    { alg: "HS256", crit: ["b64"], b64: true },
    good,
  ),
  "a signature whose last character carries stray low bits": (() => {
    const token = hs(header, good);
    const last = token.at(-1) as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // 32 bytes are 43 characters, the last holding 4 bits and 2 zero bits: set one of those.
    return token.slice(0, -1) + (alphabet[alphabet.indexOf(last) ^ 1] as string);
  })(),
};

describe("verifyJwt against jose", () => {
  for (const [name, token] of Object.entries(CASES)) {
    it(name, async () => {
      const { mine, reference } = await verdicts(token);
      expect(mine).toEqual(reference);
    });
  }

  it("the good tokens are accepted (the cases are not all refusals)", async () => {
    for (const name of ["a good HS256 token", "a good RS256 token", "a good EdDSA token", "nbf now"]) {
      const { mine } = await verdicts(CASES[name] as string);
      expect(mine, name).toEqual({ ok: true, claims: expect.objectContaining({ user_id: 7 }) });
    }
  });

  for (const [name, token] of Object.entries(STRICTER)) {
    it(`refused here, accepted by jose: ${name}`, async () => {
      const { mine, reference } = await verdicts(token);
      expect(reference.ok).toBe(true);
      expect(mine.ok).toBe(false);
    });
  }

  it("any claims set signed by us verifies in both, with the same claims (property-based)", async () => {
    const sign = jwtSigner({ alg: "HS256", typ: "JWT" }, hmacKey.key);
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (extra) => {
        const token = await sign({ ...extra, exp: seconds + 60 });
        const { mine, reference } = await verdicts(token);
        expect(mine).toEqual(reference);
        expect(mine.ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("a token with one character changed gets jose's verdict (property-based)", async () => {
    const token = hs(header, good);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: token.length - 1 }),
        fc.constantFrom(...alphabet),
        async (at, char) => {
          const changed = token.slice(0, at) + char + token.slice(at + 1);
          if (changed === token) return;
          const { mine, reference } = await verdicts(changed);
          // The stricter forms: white space or padding jose's decoder skips, stray bits in the last character.
          const lenient = /[ =]/.test(char) || at === token.length - 1;
          if (lenient && reference.ok) expect(mine.ok).toBe(false);
          else expect(mine).toEqual(reference);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("rememberingJwtVerifier", () => {
  /** The verifier over `ours`, counting the key lookups: one per token whose signature is checked. */
  const counted = (size: number) => {
    const lookups = { count: 0 };
    const verify = rememberingJwtVerifier(
      (found) => {
        lookups.count += 1;
        return ours(found);
      },
      ALGORITHMS,
      size,
    );
    const verdict = (token: string, at = now) =>
      verify(token, at).then(
        (claims) => ({ ok: true, claims: claims as unknown }),
        () => ({ ok: false }),
      );
    return { verdict, lookups };
  };

  it("gives verifyJwt's verdict for every case, the first time and again", async () => {
    const { verdict } = counted(512);
    for (const [name, token] of Object.entries(CASES)) {
      const expected = await verifyJwt(token, ours, ALGORITHMS, now).then(
        (claims) => ({ ok: true, claims: claims as unknown }),
        () => ({ ok: false }),
      );
      expect(await verdict(token), name).toEqual(expected);
      expect(await verdict(token), `${name}, again`).toEqual(expected);
    }
  });

  it("checks a remembered token's signature once, and its times at every call", async () => {
    const { verdict, lookups } = counted(512);
    const token = hs(header, { ...good, nbf: seconds + 10, exp: seconds + 60 });
    expect((await verdict(token)).ok).toBe(false);
    expect((await verdict(token, now + 10_000)).ok).toBe(true);
    const checked = lookups.count;
    expect((await verdict(token, now + 20_000)).ok).toBe(true);
    expect(lookups.count).toBe(checked);
    // Remembered, then expired: refused.
    expect((await verdict(token, now + 60_000)).ok).toBe(false);
    expect((await verdict(token, now + 5_000)).ok).toBe(false);
    // The same claims with another signature are not the remembered token.
    const forged = hs(
      header,
      { ...good, nbf: seconds + 10, exp: seconds + 60 },
      "another-secret-of-enough-length-000000",
    );
    expect((await verdict(forged, now + 20_000)).ok).toBe(false);
  });

  it("remembers at most `size` tokens, forgetting the oldest", async () => {
    const { verdict, lookups } = counted(2);
    const [a, b, c] = [1, 2, 3].map((id) => hs(header, { ...good, user_id: id }));
    for (const token of [a, b, a, b]) expect((await verdict(token as string)).ok).toBe(true);
    expect(lookups.count).toBe(2);
    expect((await verdict(c as string)).ok).toBe(true);
    expect((await verdict(b as string)).ok).toBe(true);
    expect(lookups.count).toBe(3);
    expect((await verdict(a as string)).ok).toBe(true);
    expect(lookups.count).toBe(4);
    // A token longer than any of ours is verified every time, never kept.
    const long = hs(header, { ...good, note: "n".repeat(10_000) });
    for (const _ of [1, 2]) expect((await verdict(long)).ok).toBe(true);
    expect(lookups.count).toBe(6);
  });

  it("keeps no request body alive through a token sliced out of it", async () => {
    setFlagsFromString("--expose-gc");
    const collect = runInNewContext("gc") as () => void;
    const verify = rememberingJwtVerifier(ours, ALGORITHMS, 512);
    const padding = "x".repeat(1 << 20);
    const heap = () => {
      collect();
      return process.memoryUsage().heapUsed;
    };
    const before = heap();
    for (let id = 0; id < 64; id += 1) {
      const token = hs(header, { ...good, user_id: id });
      // As a form body's value comes out of URLSearchParams: a slice of the whole megabyte body.
      const body = `token=${token}&pad=${padding}${id}`;
      const sliced = body.slice(6, 6 + token.length);
      expect(sliced).toBe(token);
      await verify(sliced, now);
    }
    const kept = heap() - before;
    // 64 bodies of a megabyte each, had the slices been kept; a few hundred bytes a token otherwise.
    expect(kept).toBeLessThan(8 * 1024 * 1024);
    // And verify is still what keeps them: each is remembered.
    const { verdict, lookups } = counted(512);
    const token = hs(header, good);
    await verdict(`token=${token}&pad=${padding}`.slice(6, 6 + token.length));
    await verdict(token);
    expect(lookups.count).toBe(1);
  });

  it("hands out claims no caller can change for the next", async () => {
    const { verdict } = counted(512);
    const token = hs(header, { ...good, amr: ["pwd"] });
    const first = (await verdict(token)) as { claims: { amr: string[]; user_id: number } };
    expect(() => first.claims.amr.push("otp")).toThrow(TypeError);
    expect(() => {
      first.claims.user_id = 8;
    }).toThrow(TypeError);
    expect(((await verdict(token)) as { claims: unknown }).claims).toMatchObject({ amr: ["pwd"], user_id: 7 });
  });
});

describe("jwtSigner", () => {
  it("signs as jose does, byte for byte (HS256 and EdDSA are deterministic; RS256 PKCS#1 v1.5 too)", async () => {
    const claims = { token_type: "refresh", exp: 1_900_000_000, iat: 1_800_000_000, jti: "b".repeat(32), user_id: 3 };
    const cases = [
      [{ alg: "HS256", typ: "JWT" }, hmacKey.key, new TextEncoder().encode(SECRET)],
      [{ alg: "RS256", typ: "JWT", kid: "rsa" }, createPrivateKey(rsaPem), await importPKCS8(rsaPem, "RS256")],
      [{ alg: "EdDSA", typ: "JWT" }, createPrivateKey(edPem), await importPKCS8(edPem, "EdDSA")],
    ] as const;
    for (const [header, key, joseKey] of cases) {
      const mine = await jwtSigner(header, key)(claims);
      const reference = await new SignJWT(claims).setProtectedHeader(header).sign(joseKey);
      expect(mine, header.alg).toBe(reference);
    }
  });

  it("the token service signs and verifies HS256 without waiting for the event loop (WebCrypto's HMAC waited for the thread pool)", async () => {
    // A thread pool's result reaches JavaScript only through the event loop, never while microtasks run.
    const settledWithinMicrotasks = async (work: Promise<unknown>) => {
      let settled = false;
      void work.then(() => {
        settled = true;
      });
      for (let tick = 0; tick < 20; tick += 1) await null;
      return settled;
    };
    const tokens = await createTokenService({ ...jwtConfig, signingKey: SECRET }, () => now);
    const signing = tokens.sign("access", 7);
    expect(await settledWithinMicrotasks(signing)).toBe(true);
    const { token } = await signing;
    expect(await settledWithinMicrotasks(tokens.verify(token, "access"))).toBe(true);
    // The same check tells the thread pool apart: jose's verification of the same token does not settle.
    expect(await settledWithinMicrotasks(jwtVerify(token, joseKeys.HS256, { currentDate: new Date(now) }))).toBe(false);
  });
});
