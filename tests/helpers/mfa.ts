import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { sql } from "kysely";
import type { TestApp } from "./app.js";
import { decodePayload } from "./tokens.js";
import { signUp } from "./users.js";

export const STEP_MS = 30_000;
export const currentStep = (nowMs = Date.now()) => Math.floor(nowMs / STEP_MS);
/** The RFC 6238 code of a time step, computed here from the secret. */
export const totpCode = (secret: Uint8Array, step: number) => generateHOTP(secret, BigInt(step), 6);

/** A signed-in account with TOTP on; the confirming code's step is used. */
export async function withTotp(app: TestApp) {
  const account = await signUp(app);
  const caller = app.caller(account.authorization);
  const setup = await caller.totp.begin();
  const secret = decodeBase32IgnorePadding(setup.secret);
  const confirmedStep = currentStep();
  const { recovery_codes } = await caller.totp.confirm({ code: totpCode(secret, confirmedStep) });
  return { ...account, caller, secret, confirmedStep, recoveryCodes: recovery_codes };
}

/**
 * Moves a session's last authentication `seconds` into the past (as if it
 * happened then) and refreshes, so that the new access token says so.
 */
export async function ageSession(app: TestApp, refresh: string, seconds: number) {
  const sid = (decodePayload(refresh).jti as string).slice(0, 24);
  await app.db.db
    .updateTable("refresh_families")
    .set({ auth_time: sql`auth_time - make_interval(secs => ${seconds})` })
    .where("id", "=", sid)
    .execute();
  const pair = await app.caller().auth.refresh({ refresh });
  return { access: pair.access, refresh: pair.refresh ?? refresh, authorization: `Bearer ${pair.access}` };
}
