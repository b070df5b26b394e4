import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/** The proxies whose `X-Forwarded-For` entries are believed, as the `trustProxy` option gives them. */
export type TrustProxy = number | readonly string[];

/** Decides, for each address of the chain (0 = the connection's peer), whether it is a trusted proxy. */
export type TrustProxyCheck = (address: string, hop: number) => boolean;

/**
 * Where clients whose address cannot be read are counted: together, so that
 * a garbled forwarded address shares one limit instead of escaping it.
 */
const UNREADABLE_CLIENT = 'unreadable';

/** What Express does with its `trust proxy` setting: a hop count trusts that many peers, a list trusts those ranges. */
export function compileTrustProxy(trust: TrustProxy): TrustProxyCheck {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : proxyaddr.compile([...trust]);
}

/**
 * The key the per-client limit counts a request under: the connection's
 * remote address, or the nearest address in `X-Forwarded-For` that the
 * trusted proxies vouch for, bucketed by {@link clientAddressBucket}.
 */
export function clientAddressKey(
  remoteAddress: string | undefined,
  headers: IncomingHttpHeaders,
  trust: TrustProxyCheck,
): string {
  if (remoteAddress === undefined) return UNREADABLE_CLIENT;
  // proxy-addr reads only the socket's address and the header.
  const request = { headers, socket: { remoteAddress } } as unknown as IncomingMessage;
  return clientAddressBucket(proxyaddr(request, trust));
}

/**
 * One client's bucket: an IPv4 address as is (also when written as
 * IPv4-mapped IPv6), an IPv6 address by its /64. A /64 is the smallest
 * network a site is normally given, and any host in it can pick new
 * addresses at will, so per-address counting would not limit anyone.
 */
export function clientAddressBucket(address: string): string {
  if (isIP(address) === 0) return UNREADABLE_CLIENT;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const network = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...network, 0, 0, 0, 0]).toString()}/64`;
}
