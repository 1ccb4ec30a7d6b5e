import { z } from "zod";
import { charField } from "./fields.js";

// WebAuthn's JSON forms (W3C WebAuthn Level 3, PublicKeyCredential.toJSON()):
// binary values are base64url text. Lengths are bounded so that nothing huge
// reaches the verifier.
const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, "Must be base64url.");
const transports = z.array(z.string().max(32)).max(10);

export const registrationCredential = z.object({
  id: base64url(1400),
  rawId: base64url(1400),
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: base64url(8192),
    attestationObject: base64url(65536),
    transports: transports.optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

export const authenticationCredential = z.object({
  id: base64url(1400),
  rawId: base64url(1400),
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: base64url(8192),
    authenticatorData: base64url(8192),
    signature: base64url(2048),
    userHandle: base64url(256).optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

export const passkeyName = () => charField({ max: 64 });

export const registerPasskeyInput = z.object({
  name: passkeyName().optional(),
  credential: registrationCredential,
});
export type RegisterPasskeyInput = z.infer<typeof registerPasskeyInput>;

export const passkeyLoginInput = z.object({ credential: authenticationCredential });
export type PasskeyLoginInput = z.infer<typeof passkeyLoginInput>;

export const passkeyIdInput = z.object({ id: z.number().int().positive() });
export const renamePasskeyInput = z.object({ id: z.number().int().positive(), name: passkeyName() });

export const passkeyInfo = z.object({
  id: z.number().int(),
  name: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  /** `multiDevice`: synced between devices (backed up); `singleDevice`: bound to one authenticator. */
  device_type: z.enum(["singleDevice", "multiDevice"]),
  backed_up: z.boolean(),
  transports: z.array(z.string()),
});
export type PasskeyInfo = z.infer<typeof passkeyInfo>;
export const passkeyList = z.array(passkeyInfo);

const credentialDescriptor = z.object({
  id: z.string(),
  type: z.string(),
  transports: z.array(z.string()).optional(),
});

/** For `PublicKeyCredential.parseCreationOptionsFromJSON()` (or @simplewebauthn/browser's startRegistration). */
export const creationOptions = z.object({
  rp: z.object({ name: z.string(), id: z.string().optional() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  challenge: z.string(),
  pubKeyCredParams: z.array(z.object({ alg: z.number(), type: z.literal("public-key") })),
  timeout: z.number().optional(),
  excludeCredentials: z.array(credentialDescriptor).optional(),
  authenticatorSelection: z
    .object({
      authenticatorAttachment: z.string().optional(),
      residentKey: z.string().optional(),
      requireResidentKey: z.boolean().optional(),
      userVerification: z.string().optional(),
    })
    .optional(),
  attestation: z.string().optional(),
  hints: z.array(z.string()).optional(),
  /** `credProps`: the browser says whether the credential is discoverable. */
  extensions: z.object({ credProps: z.boolean().optional() }).optional(),
});

/** For `PublicKeyCredential.parseRequestOptionsFromJSON()` (or startAuthentication). */
export const requestOptions = z.object({
  challenge: z.string(),
  timeout: z.number().optional(),
  rpId: z.string().optional(),
  allowCredentials: z.array(credentialDescriptor).optional(),
  userVerification: z.string().optional(),
  hints: z.array(z.string()).optional(),
});
