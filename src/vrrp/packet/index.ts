// Public surface of the VRRP packet layer (pure): adverts, IPv4 framing, GARP and unsolicited NA.
export * from './types.js';
// The address value and the helpers codec users need, from the one address module.
export { IpAddress, ipOf, formatIpv4, formatIpv6, formatMac, parseMac } from '../../lib/ip.js';
export { vmacFor } from '../../lib/protocol.js';
export * from './checksum.js';
export * from './vrrp.js';
export * from './ipv4.js';
export * from './ah.js';
export * from './arp.js';
export * from './ndisc.js';
