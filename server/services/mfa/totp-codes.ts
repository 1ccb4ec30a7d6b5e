import { verifyHOTP } from "@oslojs/otp";

/** RFC 6238's defaults, which every authenticator app reads: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted on each side of the current one (clock drift, a code typed as it changes). */
export const TOTP_DRIFT_STEPS = 1;

export const timeStep = (nowMs: number) => Math.floor(nowMs / (TOTP_PERIOD_SECONDS * 1000));

/** A TOTP code as typed ("123 456" too), or undefined when it cannot be one. */
export function totpCodeOf(input: string): string | undefined {
  const code = input.replace(/\s+/g, "");
  return /^\d{6}$/.test(code) ? code : undefined;
}

/**
 * The time step whose code this is, within the window, or undefined. Every
 * step of the window is computed and compared in constant time, whichever
 * matches; if two would (a collision), the later one is taken, so that
 * replay protection never goes backwards.
 */
export function matchingStep(secret: Uint8Array, code: string, nowMs: number): number | undefined {
  const current = timeStep(nowMs);
  let found: number | undefined;
  for (let step = current - TOTP_DRIFT_STEPS; step <= current + TOTP_DRIFT_STEPS; step += 1) {
    if (verifyHOTP(secret, BigInt(step), TOTP_DIGITS, code)) found = step;
  }
  return found;
}
