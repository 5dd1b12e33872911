// Loads the committed golden vectors (see PROVENANCE.md). Shared by the packet tests.
import { readFileSync } from 'node:fs';

export interface VrrpVector {
  readonly kind: 'vrrp';
  readonly name: string;
  readonly family: 'inet' | 'inet6';
  readonly checksumAsV2?: boolean;
  readonly frame?: string;
  readonly vrrp: string;
  readonly ipPacket: string;
  readonly independentChecksum?: number;
  readonly fields: {
    readonly version: 2 | 3;
    readonly type: number;
    readonly vrid: number;
    readonly priority: number;
    readonly count: number;
    readonly checksum: number;
    readonly addresses: string[];
    readonly authType?: number;
    readonly adverIntSeconds?: number;
    readonly authData?: string;
    readonly maxAdverIntCentiseconds?: number;
  };
  readonly ip: Record<string, number | string>;
  /** VRRPv2 auth_type AH: the AH header fields as scapy read them. */
  readonly ah?: { nh: number; payloadlen: number; reserved: number; spi: number; seq: number; icv: string };
}

export interface ArpVector {
  readonly kind: 'arp';
  readonly name: string;
  readonly frame: string;
  readonly fields: { op: number; hwsrc: string; psrc: string; hwdst: string; pdst: string };
}

export interface NaVector {
  readonly kind: 'na';
  readonly name: string;
  readonly frame: string;
  readonly independentChecksum?: number;
  readonly ip: { src: string; dst: string; hlim: number };
  readonly fields: { R: number; S: number; O: number; target: string; tlla: string | null; checksum: number };
}

export type Vector = VrrpVector | ArpVector | NaVector;

export interface VectorFile {
  readonly source: string;
  readonly vectors: Vector[];
}

export function loadVectors(name: 'scapy-vectors.json' | 'keepalived-2.2.7.json'): VectorFile {
  return JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as VectorFile;
}

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');
