// Ethernet frames and IPv6 headers built by hand around what our encoders produce, for tests
// that hand whole frames to an independent reader (tshark) or put them on a wire (AF_PACKET).

const macBytes = (s: string): Buffer => Buffer.from(s.replace(/:/g, ''), 'hex');

/** An Ethernet II frame: destination and source MAC (text), EtherType, payload. */
export function ethFrame(dst: string, src: string, type: number, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(14);
  macBytes(dst).copy(h, 0);
  macBytes(src).copy(h, 6);
  h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}

/** A VRRP payload behind the IPv6 header the kernel would put in front of it (tc 0xc0, next header 112, hop limit 255). */
export function ipv6Vrrp(src: Uint8Array, dst: Uint8Array, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x6c000000, 0);
  h.writeUInt16BE(payload.length, 4);
  h[6] = 112;
  h[7] = 255;
  Buffer.from(src).copy(h, 8);
  Buffer.from(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}
