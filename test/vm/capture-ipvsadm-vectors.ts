// Records ipvsadm's own generic netlink traffic in the test VM, as vectors for the codec's unit
// test (test/unit/kernel/ipvs-genl-codec.test.ts): the request each ipvsadm command sends
// (strace -e write=all of sendmsg) and the kernel's dump replies that `ipvsadm -Sn` reads
// (strace -e read=all of recvmsg) with the dump requests that asked for them, with ipvsadm's text of the same table.
//
//   npx tsx test/vm/capture-ipvsadm-vectors.ts   -> test/vectors/ipvs/ipvsadm-genl.json
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPVSADM_COMMANDS } from './ipvsadm-commands.js';
import { runInVm } from './vm.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');


function hexBlocks(strace: string, call: 'sendmsg' | 'recvmsg'): string[] {
  const out: string[] = [];
  let cur: string[] | undefined;
  for (const line of strace.split('\n')) {
    if (/^(sendmsg|recvmsg)\(/.test(line) && !line.startsWith(`${call}(`)) {
      cur = undefined;
      continue;
    }
    if (line.startsWith(`${call}(`)) {
      cur = line.includes('MSG_PEEK') ? undefined : [];
      if (cur) out.push('');
      continue;
    }
    const m = /^ \| [0-9a-f]{5}  ((?:[0-9a-f]{2} {1,2}){1,16})/.exec(line);
    if (m && cur) out[out.length - 1] += m[1].replace(/\s+/g, '');
  }
  return out.filter((h) => h !== '');
}

const script = [
  'set -e',
  'modprobe ip_vs',
  'ip link add dummy0 type dummy && ip link set dummy0 up',
  'ip addr add 198.51.100.1/24 dev dummy0 && ip -6 addr add 2001:db8:1::1/64 dev dummy0 nodad',
  ...IPVSADM_COMMANDS.map((c, i) => `strace -o req-${i}.strace -e trace=sendmsg -e write=all ipvsadm ${c}`),
  'strace -o dump.strace -e trace=sendmsg,recvmsg -e write=all -e read=all ipvsadm -Sn > rules.txt',
  'ipvsadm -Ln --thresholds > thresholds.txt',
].join('\n');

const r = await runInVm(script, { timeoutMs: 240_000 });
if (r.exitCode !== 0) {
  console.error(r.output, r.console.slice(-2000));
  process.exit(1);
}
const text = (n: string): string => r.files.get(n)?.toString('utf8') ?? '';
const vectors = {
  note: 'Captured from ipvsadm 1.31 on Debian kernel 6.1 in the test VM by test/vm/capture-ipvsadm-vectors.ts. IPVS family id, seq and pid vary per boot.',
  requests: IPVSADM_COMMANDS.map((args, i) => ({ args, sent: hexBlocks(text(`req-${i}.strace`), 'sendmsg') })),
  dump: { sent: hexBlocks(text('dump.strace'), 'sendmsg'), received: hexBlocks(text('dump.strace'), 'recvmsg'), rules: text('rules.txt'), thresholds: text('thresholds.txt') },
};
mkdirSync(join(repo, 'test/vectors/ipvs'), { recursive: true });
writeFileSync(join(repo, 'test/vectors/ipvs/ipvsadm-genl.json'), JSON.stringify(vectors, null, 1) + '\n');
console.log(`wrote ${vectors.requests.length} request vectors, ${vectors.dump.received.length} dump buffers`);
