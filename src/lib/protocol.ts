// Protocol numbers, groups and link-layer constants of VRRP (RFC 3768, RFC 5798), written once.

/** IANA protocol number of VRRP (IPv4 protocol / IPv6 next header). */
export const IPPROTO_VRRP = 112;
/** IPv4 Authentication Header, used by VRRPv2 auth_type AH (RFC 3768 5.3.6.3 / RFC 2402). */
export const IPPROTO_AH = 51;
/** RFC 3768 5.2.2 / RFC 5798 5.1.1.3: the IPv4 VRRP multicast group. */
export const VRRP_GROUP4 = '224.0.0.18';
/** RFC 5798 5.1.2.2: the IPv6 VRRP multicast group. */
export const VRRP_GROUP6 = 'ff02::12';
/** All-nodes link-local multicast (unsolicited neighbour advertisements). */
export const ALL_NODES6 = 'ff02::1';
/** RFC 3768 5.2.3 / RFC 5798 5.1.1.3, 5.1.2.3: TTL / hop limit of every multicast advert. */
export const VRRP_TTL = 255;

/**
 * RFC 5798 7.3 virtual router MAC: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for
 * IPv6 (keepalived's use_vmac address unless a MAC is configured).
 */
export function vmacFor(vrid: number, family: 'inet' | 'inet6'): string {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`vrid ${vrid} outside 1..255`);
  return `00:00:5e:00:0${family === 'inet' ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}
