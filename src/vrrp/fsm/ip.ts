// Address helpers the FSM needs (RFC 5798 6.4.3: equal priority is resolved by the larger
// primary IP address; multicast sources are dropped). One implementation, in src/lib/ip.ts.
export { compareIp, ipToBigInt, ipv4ToNumber, isMulticast, sameIp } from '../../lib/ip.js';
