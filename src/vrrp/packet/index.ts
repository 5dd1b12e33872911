// Public surface of the VRRP packet layer (pure): adverts, IPv4 framing, GARP and unsolicited NA.
export * from './types.js';
export * from './address.js';
export * from './checksum.js';
export * from './vrrp.js';
export * from './ipv4.js';
export * from './ah.js';
export * from './arp.js';
export * from './ndisc.js';
