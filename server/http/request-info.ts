import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";
import type { RequestInfo } from "../context.js";
import { deviceTokenOf } from "./device-token.js";

const MAPPED_IPV4 = /^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/;

/** "::ffff:10.0.0.1" is 10.0.0.1. */
function normalize(address: string | undefined): string | undefined {
  const trimmed = address?.trim();
  return trimmed?.startsWith("::ffff:") ? trimmed.replace(MAPPED_IPV4, "") : trimmed;
}

export function parseTrustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = "", prefix] = entry.split("/");
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then
 * the nearest X-Forwarded-For hop that is not itself trusted. Without
 * TRUSTED_PROXIES the header is never believed.
 */
export function createClientIp(trusted: BlockList, anyTrusted: boolean): (req: IncomingMessage) => string | undefined {
  const isTrusted = (address: string) => {
    const type = isIP(address);
    return type !== 0 && trusted.check(address, type === 6 ? "ipv6" : "ipv4");
  };
  return (req) => {
    const peer = normalize(req.socket.remoteAddress);
    if (!anyTrusted || peer === undefined || !isTrusted(peer)) return peer;
    const header = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
      .split(",")
      .map(normalize)
      .filter((hop): hop is string => hop !== undefined && isIP(hop) !== 0);
    for (let index = hops.length - 1; index >= 0; index -= 1) {
      const hop = hops[index] as string;
      if (!isTrusted(hop)) return hop;
    }
    return hops[0] ?? peer;
  };
}

/** What a procedure may know of the request, read once for either transport. */
export function requestInfoReader(trustedProxies: readonly string[]): (req: IncomingMessage) => RequestInfo {
  const clientIp = createClientIp(parseTrustedProxies(trustedProxies), trustedProxies.length > 0);
  return (req) => ({
    authorization: req.headers.authorization,
    ip: clientIp(req),
    userAgent: req.headers["user-agent"],
    deviceToken: deviceTokenOf(req),
  });
}
