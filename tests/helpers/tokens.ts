import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { SignJWT } from "jose";
import { TEST_SIGNING_KEY } from "./app.js";

const b64 = (value: unknown) => encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify(value)));

export interface MintOptions {
  key?: string;
  alg?: "HS256" | "HS384" | "HS512" | "none";
}

/** A JWT with exactly these claims, signed as a client or a tool would sign it. */
export async function mint(claims: Record<string, unknown>, options: MintOptions = {}): Promise<string> {
  const alg = options.alg ?? "HS256";
  if (alg === "none") return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: "JWT" })
    .sign(new TextEncoder().encode(options.key ?? TEST_SIGNING_KEY));
}

const now = () => Math.floor(Date.now() / 1000);

/** simplejwt's claims for an access token of `userId`, overridable one by one (undefined removes a claim). */
export function accessClaims(userId: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    token_type: "access",
    exp: now() + 300,
    iat: now(),
    jti: "0123456789abcdef0123456789abcdef",
    user_id: userId,
    ...overrides,
  };
  for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key];
  return claims;
}

export function decodePayload(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

export function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8"));
}
