// A throw-away Linux VM for tests that need kernel features this machine's kernel lacks (IPVS).
//
// qemu-system-x86_64 under TCG (no KVM needed) boots Debian's distribution kernel from /boot with
// a small initramfs of ours (test/vm/build-initramfs.sh: busybox-static and the virtio/9p
// modules). The host's root is mounted read-only over 9p and becomes the guest's root
// (switch_root, so the kernel's module autoloading works); a second, writable 9p share carries
// the command in (cmd.sh: the kernel command line cannot carry many words) and the results out.
// The guest has no network card (-nic none) and powers off with sysrq `o` when the command ends.
//
//   const r = await runInVm('ipvsadm -Ln > out.txt', { timeoutMs: 120_000 });
//   r.exitCode; r.files.get('out.txt'); r.output (cmd.sh's stdout+stderr); r.console (serial)
//
// The qemu process is killed by its PID when the timeout passes or the caller's promise settles.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BUILD_SCRIPT = join(here, 'build-initramfs.sh');
const QEMU = '/usr/bin/qemu-system-x86_64';

export interface VmKernel {
  readonly version: string;
  readonly image: string;
}

/** The newest /boot/vmlinuz-* whose modules are installed, or undefined. */
export function findVmKernel(): VmKernel | undefined {
  let names: string[];
  try {
    names = readdirSync('/boot').filter((n) => n.startsWith('vmlinuz-'));
  } catch {
    return undefined;
  }
  const usable = names
    .map((n) => ({ version: n.slice('vmlinuz-'.length), image: join('/boot', n) }))
    .filter((k) => existsSync(join('/lib/modules', k.version, 'modules.dep')))
    .sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }));
  return usable[0];
}

/** Why a VM cannot be started here (for itWhen), or undefined. */
export function vmMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'must run as root (the VM exports / over 9p)';
  if (!existsSync(QEMU)) return 'qemu-system-x86_64 not installed (package qemu-system-x86)';
  if (!existsSync('/bin/busybox')) return '/bin/busybox not installed (package busybox-static)';
  const k = findVmKernel();
  if (!k) return 'no /boot/vmlinuz-* with its modules (package linux-image-amd64)';
  if (!existsSync(join('/lib/modules', k.version, 'kernel/net/netfilter/ipvs'))) return `kernel ${k.version} has no IPVS modules`;
  return undefined;
}

/** Builds (or reuses) the initramfs for the kernel; cached by kernel version and script content. */
export function vmInitramfs(k: VmKernel): string {
  const hash = createHash('sha256').update(readFileSync(BUILD_SCRIPT)).update(k.version).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'keepalived-ts-vm');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `initramfs-${k.version}-${hash}.cpio.gz`);
  if (existsSync(out) && statSync(out).size > 0) return out;
  const r = spawnSync('sh', [BUILD_SCRIPT, k.version, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the VM initramfs failed (exit ${r.status}): ${r.stderr}`);
  return out;
}

export interface VmOptions {
  /** Kill the VM after this long (default 300 s). Everything in TCG is several times slower. */
  timeoutMs?: number;
  /** Guest memory in MiB (default 1024). */
  memoryMb?: number;
  /** Extra files placed on the share before boot (name -> content), visible as /tmp/vmshare/NAME. */
  files?: Record<string, string | Uint8Array>;
  /** Extra environment for cmd.sh. */
  env?: Record<string, string>;
}

export interface VmResult {
  /** cmd.sh's exit code; undefined when the guest never wrote it (crash, timeout). */
  readonly exitCode: number | undefined;
  /** cmd.sh's stdout and stderr. */
  readonly output: string;
  /** The serial console (kernel and init messages). */
  readonly console: string;
  /** Every file the guest left on the share (name -> bytes), the inputs included. */
  readonly files: ReadonlyMap<string, Buffer>;
  readonly timedOut: boolean;
  /** Wall time from qemu start to its exit, ms. */
  readonly elapsedMs: number;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Boots the VM, runs `script` with /bin/sh in /tmp/vmshare (the share, writable) as root, and
 * returns its exit code and the files it left there. One VM at a time per caller: each call
 * is a full boot (about 10 s on this machine before the script starts).
 */
export async function runInVm(script: string, opts: VmOptions = {}): Promise<VmResult> {
  const kernel = findVmKernel();
  if (!kernel) throw new Error('no usable /boot/vmlinuz-*');
  const initrd = vmInitramfs(kernel);
  const share = mkdtempSync(join(tmpdir(), 'kt-vmshare-'));
  try {
    const env = Object.entries(opts.env ?? {})
      .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
      .join('');
    writeFileSync(
      join(share, 'init2.sh'),
      [
        '#!/bin/sh',
        'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp',
        'cd /tmp/vmshare',
        'ip link set lo up',
        'sh /tmp/vmshare/cmd.sh > /tmp/vmshare/output.log 2>&1',
        'echo $? > /tmp/vmshare/exit-code.tmp',
        'mv /tmp/vmshare/exit-code.tmp /tmp/vmshare/exit-code',
        'sync',
        'echo o > /proc/sysrq-trigger',
        'sleep 30',
        '',
      ].join('\n'),
    );
    writeFileSync(join(share, 'cmd.sh'), `${env}${script}\n`);
    for (const [name, content] of Object.entries(opts.files ?? {})) writeFileSync(join(share, name), content);
    const args = [
      '-accel', 'tcg',
      '-cpu', 'max',
      '-m', String(opts.memoryMb ?? 1024),
      '-smp', '1',
      '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
      '-nic', 'none',
      '-serial', `file:${join(share, 'console.log')}`,
      '-kernel', kernel.image,
      '-initrd', initrd,
      '-append', 'console=ttyS0 panic=-1 rdinit=/init loglevel=4',
      '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
      '-virtfs', `local,path=${share},mount_tag=share,security_model=none,multidevs=remap`,
    ];
    const started = Date.now();
    const child = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          timedOut = true;
          if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        }, opts.timeoutMs ?? 300_000);
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        child.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    const elapsedMs = Date.now() - started;
    const files = new Map<string, Buffer>();
    for (const name of readdirSync(share)) {
      const p = join(share, name);
      if (statSync(p).isFile()) files.set(name, readFileSync(p));
    }
    const code = files.get('exit-code')?.toString('utf8').trim();
    return {
      exitCode: code === undefined || code === '' ? undefined : Number(code),
      output: files.get('output.log')?.toString('utf8') ?? '',
      console: (files.get('console.log')?.toString('utf8') ?? '') + (stderr ? `\n[qemu stderr]\n${stderr}` : ''),
      files,
      timedOut,
      elapsedMs,
    };
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}
