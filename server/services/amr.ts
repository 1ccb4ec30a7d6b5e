// How a session authenticated, as RFC 8176 `amr` values. NIST SP 800-63B does
// not count a code sent by email as an authenticator of its own, so the seed's
// email code adds `otp` but never makes a login `mfa`.

export type Factor = "password" | "totp" | "recovery_code" | "email_code" | "passkey";

/** `singleDevice` passkeys are bound to one authenticator (`hwk`); synced ones are software keys (`swk`). */
export type PasskeyKind = "singleDevice" | "multiDevice";

export interface Proof {
  factor: Factor;
  passkeyKind?: PasskeyKind;
}

/** What each proof adds, and whether it counts as a factor of its own towards `mfa`. */
function valuesOf(proof: Proof): { amr: string[]; counts: number } {
  switch (proof.factor) {
    case "password":
      return { amr: ["pwd"], counts: 1 };
    case "totp":
    case "recovery_code":
      return { amr: ["otp"], counts: 1 };
    case "email_code":
      return { amr: ["otp"], counts: 0 };
    case "passkey":
      // A passkey with user verification is something held and something known or are.
      return { amr: [proof.passkeyKind === "singleDevice" ? "hwk" : "swk", "user"], counts: 2 };
  }
}

export function amrOf(proofs: readonly Proof[]): string[] {
  const values = proofs.map(valuesOf);
  const amr = [...new Set(values.flatMap((value) => value.amr))];
  const factors = values.reduce((sum, value) => sum + value.counts, 0);
  return factors >= 2 ? [...amr, "mfa"] : amr;
}

/** The claims a session gives its access tokens. */
export interface SessionAuth {
  amr: readonly string[];
  /** Seconds since the epoch. */
  authTime: number;
}

export const amrColumn = (amr: readonly string[]) => amr.join(" ");
export const amrFromColumn = (column: string): string[] => column.split(" ").filter(Boolean);
