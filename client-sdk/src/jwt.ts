/**
 * The claims of a JWT the SDK reads, times in milliseconds; undefined when
 * they cannot be read. (The signature is the server's business.)
 */
export interface TokenClaims {
  expiresAt: number | undefined;
  issuedAt: number | undefined;
  userId: number | undefined;
}

export function tokenClaims(token: string): TokenClaims {
  const payload = token.split(".")[1];
  try {
    if (!payload) throw new Error("not a JWT");
    const base64 = payload
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(payload.length / 4) * 4, "=");
    const claims = JSON.parse(atob(base64)) as { exp?: unknown; iat?: unknown; user_id?: unknown };
    const ms = (value: unknown) => (typeof value === "number" ? value * 1000 : undefined);
    return {
      expiresAt: ms(claims.exp),
      issuedAt: ms(claims.iat),
      userId: typeof claims.user_id === "number" ? claims.user_id : undefined,
    };
  } catch {
    return { expiresAt: undefined, issuedAt: undefined, userId: undefined };
  }
}
