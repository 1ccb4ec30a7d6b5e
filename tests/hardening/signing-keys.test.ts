import { createPublicKey } from "node:crypto";
import { createLocalJWKSet, decodeProtectedHeader, importPKCS8, jwtVerify, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey } from "../../server/signing-keys.js";
import { startTestApp, TEST_SIGNING_KEY, type TestApp } from "../helpers/app.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { http } from "../helpers/http.js";
import { accessClaims, mint } from "../helpers/tokens.js";
import { newAccount, STRONG_PASSWORD } from "../helpers/users.js";

const SECRET = "a-secret-key-for-code-hashes-0123456789";
const oldRsa = generatePrivateKey("RS256");
const newEd = generatePrivateKey("EdDSA");
const publicPem = (pem: string) => String(createPublicKey(pem).export({ type: "spki", format: "pem" }));
const refused = { detail: "Given token not valid for any token type", code: "token_not_valid" };

// Several servers over one database: the keys change between them, the users do not.
let database: TestDatabase;
const apps: TestApp[] = [];
async function server(env: Record<string, string>) {
  const app = await startTestApp({ SECRET_KEY: SECRET, ...env }, { database });
  apps.push(app);
  return app;
}
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const app of apps) await app.app.stop();
  await database.close();
});

async function login(app: TestApp) {
  const account = newAccount();
  expect((await http(app.url, "POST", "/api/users/register/", { body: account })).status).toBe(201);
  const res = await http(app.url, "POST", "/api/token/", {
    body: { username: account.username, password: STRONG_PASSWORD },
  });
  expect(res.status, res.text).toBe(200);
  return res.body as { access: string; refresh: string };
}

const profile = (app: TestApp, token: string) => http(app.url, "GET", "/api/users/profile/", { token });

describe("HS256, the default", () => {
  it("keeps simplejwt's exact header and publishes an empty key set", async () => {
    const app = await server({});
    const { access } = await login(app);
    expect(decodeProtectedHeader(access)).toEqual({ alg: "HS256", typ: "JWT" });
    const jwks = await http(app.url, "GET", "/.well-known/jwks.json");
    expect(jwks.status).toBe(200);
    expect(jwks.body).toEqual({ keys: [] });
  });
});

describe("EdDSA and RS256 with a kid, verifiable from the published JWKS", () => {
  for (const [algorithm, key] of [
    ["EdDSA", newEd],
    ["RS256", oldRsa],
  ] as const) {
    it(`${algorithm}: tokens carry the kid of a key in /.well-known/jwks.json and verify with it alone`, async () => {
      const app = await server({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: key, JWT_SIGNING_KEY: "" });
      const tokens = await login(app);
      const header = decodeProtectedHeader(tokens.access);
      expect(header).toMatchObject({ alg: algorithm, typ: "JWT", kid: expect.stringMatching(/^[\w-]{43}$/) });

      const jwks = await http(app.url, "GET", "/.well-known/jwks.json");
      expect(jwks.headers.get("cache-control")).toBe("public, max-age=300");
      expect(jwks.body.keys).toHaveLength(1);
      expect(jwks.body.keys[0]).toMatchObject({ kid: header.kid, alg: algorithm, use: "sig" });
      expect(JSON.stringify(jwks.body)).not.toMatch(/"d"|"p"|"q"/);
      // A resource server that knows only the JWKS accepts the token.
      const { payload } = await jwtVerify(tokens.access, createLocalJWKSet(jwks.body));
      expect(payload).toMatchObject({ token_type: "access" });

      expect((await profile(app, tokens.access)).status).toBe(200);
      const verify = await http(app.url, "POST", "/api/token/verify/", { body: { token: tokens.refresh } });
      expect(verify.status).toBe(200);
      const refreshed = await http(app.url, "POST", "/api/token/refresh/", { body: { refresh: tokens.refresh } });
      expect(refreshed.status).toBe(200);
      expect(decodeProtectedHeader(refreshed.body.access).kid).toBe(header.kid);
    });
  }
});

describe("rotation with an overlap window", () => {
  it("a retired key still verifies its tokens, which rotate onto the new key; without it they are refused", async () => {
    const before = await server({ JWT_ALGORITHM: "RS256", JWT_PRIVATE_KEY: oldRsa, JWT_SIGNING_KEY: "" });
    const issued = await login(before);
    const oldKid = decodeProtectedHeader(issued.access).kid;

    const during = await server({
      JWT_ALGORITHM: "EdDSA",
      JWT_PRIVATE_KEY: newEd,
      JWT_RETIRED_KEYS: publicPem(oldRsa),
      JWT_SIGNING_KEY: "",
    });
    const jwks = await http(during.url, "GET", "/.well-known/jwks.json");
    expect(jwks.body.keys.map((key: { kid: string; alg: string }) => [key.alg, key.kid === oldKid])).toEqual([
      ["EdDSA", false],
      ["RS256", true],
    ]);
    expect((await profile(during, issued.access)).status).toBe(200);
    const refreshed = await http(during.url, "POST", "/api/token/refresh/", { body: { refresh: issued.refresh } });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(decodeProtectedHeader(refreshed.body.refresh)).toMatchObject({ alg: "EdDSA" });

    const after = await server({ JWT_ALGORITHM: "EdDSA", JWT_PRIVATE_KEY: newEd, JWT_SIGNING_KEY: "" });
    expect((await profile(after, issued.access)).body).toMatchObject(refused);
    // The tokens minted during the overlap live on.
    expect((await profile(after, refreshed.body.access)).status).toBe(200);
  });

  it("switching from HS256 keeps the old tokens (e.g. the Django service's) while JWT_SIGNING_KEY stays set", async () => {
    const hs = await server({});
    const issued = await login(hs);
    const keeping = await server({ JWT_ALGORITHM: "EdDSA", JWT_PRIVATE_KEY: newEd, JWT_SIGNING_KEY: TEST_SIGNING_KEY });
    expect((await profile(keeping, issued.access)).status).toBe(200);
    const dropping = await server({ JWT_ALGORITHM: "EdDSA", JWT_PRIVATE_KEY: newEd, JWT_SIGNING_KEY: "" });
    expect((await profile(dropping, issued.access)).body).toMatchObject(refused);
  });
});

describe("forgeries", () => {
  it("refuses the public key used as an HMAC secret, alg none, unknown kids and a stranger's key", async () => {
    const app = await server({ JWT_ALGORITHM: "RS256", JWT_PRIVATE_KEY: oldRsa, JWT_SIGNING_KEY: "" });
    const { access } = await login(app);
    const claims = JSON.parse(Buffer.from(access.split(".")[1] ?? "", "base64url").toString()) as Record<
      string,
      unknown
    >;
    const kid = decodeProtectedHeader(access).kid;

    const confused = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "JWT", kid })
      .sign(new TextEncoder().encode(publicPem(oldRsa)));
    const none = await mint(accessClaims(claims.user_id), { alg: "none" });
    const stranger = generatePrivateKey("RS256");
    const impostor = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid })
      .sign(await importPKCS8(stranger, "RS256"));
    const unknownKid = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "not-a-key-of-ours" })
      .sign(await importPKCS8(oldRsa, "RS256"));
    const noKid = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .sign(await importPKCS8(oldRsa, "RS256"));

    for (const token of [confused, none, impostor, unknownKid]) {
      const res = await profile(app, token);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject(refused);
    }
    // Without a kid the current key is tried: the signature, not the header, decides.
    expect((await profile(app, noKid)).status).toBe(200);
  });
});
