/** Who asked, as stored: `ip` and `user_agent` cut to their columns' lengths, null when unknown. */
export function clientColumns(client: { ip?: string | undefined; userAgent?: string | undefined }) {
  return { ip: client.ip?.slice(0, 64) ?? null, user_agent: client.userAgent?.slice(0, 512) ?? null };
}
