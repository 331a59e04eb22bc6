// Which addresses an integration may be delivered to: public unicast only, unless the operator
// allows private ones (INTEGRATIONS_ALLOW_PRIVATE, for a receiver on the same network). Checked
// when an integration is created and again at every connect (the name may resolve elsewhere by
// then), so a URL can never make the server reach into its own network.
import { BlockList, isIP } from 'node:net'

const refused = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network", the unspecified address
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  refused.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fe80::', 10], // link-local
  ['fc00::', 7], // unique local
  ['ff00::', 8], // multicast
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
] as const)
  refused.addSubnet(net, bits, 'ipv6')

/** An IPv4 address written in IPv6 (`::ffff:10.0.0.1`, or its hex form): the IPv4 address. */
function mappedV4(address: string): string | null {
  const m = /^::ffff:(?:0:)?(.+)$/i.exec(address)
  if (!m) return null
  const tail = m[1]!
  if (isIP(tail) === 4) return tail
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(tail)
  if (!hex) return null
  const [hi, lo] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)]
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
}

/** True for loopback, link-local, private, CGNAT, unique-local, multicast, unspecified (and a few reserved) addresses. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const v4 = mappedV4(bare)
  if (v4) return refused.check(v4, 'ipv4')
  const family = isIP(bare)
  if (family === 4) return refused.check(bare, 'ipv4')
  if (family === 6) return refused.check(bare, 'ipv6')
  // Not an address at all: never reached.
  return true
}
