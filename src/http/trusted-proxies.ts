// Which peers are the configured proxies (TRUST_PROXY), by the rule Fastify applies to
// X-Forwarded-For (the same library, @fastify/proxy-addr): per-address bounds apply to clients,
// and a proxy carries many of them.
import proxyAddr from '@fastify/proxy-addr'
import type { TrustProxy } from '../config.ts'

/** Whether a connection from `address` comes from a trusted proxy. */
export function trustedProxy(trust: TrustProxy): (address: string) => boolean {
  if (trust === false) return () => false
  // A hop count trusts the nearest hops whatever their address: every peer is a proxy.
  if (typeof trust === 'number') return () => trust > 0
  const trusted = proxyAddr.compile(trust)
  return (address) => trusted(address, 0)
}
