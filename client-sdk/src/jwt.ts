/**
 * The `exp` and `iat` claims of a JWT, in milliseconds; undefined when they
 * cannot be read. (The signature is the server's business.)
 */
export function tokenTimes(token: string): { expiresAt: number | undefined; issuedAt: number | undefined } {
  const payload = token.split(".")[1];
  try {
    if (!payload) throw new Error("not a JWT");
    const base64 = payload
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(payload.length / 4) * 4, "=");
    const claims = JSON.parse(atob(base64)) as { exp?: unknown; iat?: unknown };
    const ms = (value: unknown) => (typeof value === "number" ? value * 1000 : undefined);
    return { expiresAt: ms(claims.exp), issuedAt: ms(claims.iat) };
  } catch {
    return { expiresAt: undefined, issuedAt: undefined };
  }
}
