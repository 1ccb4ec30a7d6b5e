// Who is asking, as far as the server can tell: read once per request by the
// transport (http/request-info.ts), passed to services for throttles, sessions
// and the audit trail. Nothing here is proof of identity.
export interface Client {
  ip: string | undefined;
  userAgent: string | undefined;
  /** A device token from an earlier successful login (cookie or `X-Device-Token`), unverified. */
  deviceToken?: string | undefined;
}
