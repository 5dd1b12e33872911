// Typed errors for the Kernel interface (DESIGN.md style 10: typed errors with stable codes).
//
// NetlinkKernel turns the kernel's nlmsgerr errno into a KernelError directly (errnoError); a
// send failure from the native socket is an `ErrnoException` with `.code`, mapped by
// toKernelError. toKernelError also still reads the error texts of the `netlink` 0.3.0 package
// (`Request rejected: EEXIST`, `Timeout has been reached`), which the daemon no longer loads
// (ADR 0013) but tests use as an independent oracle. Callers only ever see a KernelError whose
// `code` is one of the strings below.

/** Stable error codes. Errno names are kept as the kernel spells them. */
export type KernelErrorCode =
  | 'EEXIST' // address/route already present (NLM_F_EXCL)
  | 'EADDRNOTAVAIL' // address to delete is not on the interface
  | 'ENODEV' // no such interface
  | 'ENOENT' // no such object (e.g. route to delete not found on older kernels)
  | 'ESRCH' // route to delete not found
  | 'EPERM' // no CAP_NET_ADMIN
  | 'EACCES'
  | 'EINVAL' // kernel rejected the request as malformed
  | 'ENETUNREACH' // gateway not reachable
  | 'ENETDOWN'
  | 'EAFNOSUPPORT' // family disabled (e.g. IPv6 off)
  | 'EOPNOTSUPP'
  | 'ENOBUFS'
  | 'ENOMEM'
  | 'EBUSY'
  | 'ERANGE'
  | 'ETIMEDOUT' // no answer from the kernel in time
  | 'EBADMSG' // the kernel's answer could not be decoded
  | 'EINVALID_ARG' // our caller passed something we cannot encode (bad address, unknown dev)
  | 'ECLOSED' // the Kernel was closed
  | 'EUNKNOWN'; // anything else; `errno` and `cause` keep the details

/** Linux errno numbers for the codes above (asm-generic/errno*.h; x86/arm/arm64 values). */
const ERRNO_TO_CODE: ReadonlyMap<number, KernelErrorCode> = new Map<number, KernelErrorCode>([
  [1, 'EPERM'],
  [2, 'ENOENT'],
  [3, 'ESRCH'],
  [12, 'ENOMEM'],
  [13, 'EACCES'],
  [16, 'EBUSY'],
  [17, 'EEXIST'],
  [19, 'ENODEV'],
  [22, 'EINVAL'],
  [34, 'ERANGE'],
  [74, 'EBADMSG'],
  [95, 'EOPNOTSUPP'],
  [97, 'EAFNOSUPPORT'],
  [99, 'EADDRNOTAVAIL'],
  [100, 'ENETDOWN'],
  [101, 'ENETUNREACH'],
  [105, 'ENOBUFS'],
  [110, 'ETIMEDOUT'],
]);

const KNOWN_CODES: ReadonlySet<string> = new Set<string>([
  ...ERRNO_TO_CODE.values(),
  'EINVALID_ARG',
  'ECLOSED',
  'EUNKNOWN',
]);

export class KernelError extends Error {
  override readonly name = 'KernelError';
  readonly code: KernelErrorCode;
  /** The rtnetlink operation, e.g. `addAddress`, `deleteRoute`. */
  readonly op: string;
  /** Positive errno when the kernel gave one. */
  readonly errno: number | undefined;

  constructor(code: KernelErrorCode, op: string, message: string, opts: { errno?: number; cause?: unknown } = {}) {
    super(`${op}: ${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.op = op;
    this.errno = opts.errno;
  }

  /** One JSON line for logs (DESIGN.md style 4). */
  toJSON(): { kind: 'kernelError'; code: KernelErrorCode; op: string; errno?: number; message: string } {
    return { kind: 'kernelError', code: this.code, op: this.op, ...(this.errno !== undefined ? { errno: this.errno } : {}), message: this.message };
  }
}

export function isKernelError(e: unknown, code?: KernelErrorCode): e is KernelError {
  return e instanceof KernelError && (code === undefined || e.code === code);
}

/** Maps an errno (sign ignored: netlink carries it negated) to our code. */
export function codeFromErrno(errno: number): KernelErrorCode {
  return ERRNO_TO_CODE.get(Math.abs(errno)) ?? 'EUNKNOWN';
}

/** A KernelError for a negative (or positive) errno from an nlmsgerr. */
export function errnoError(errno: number, op: string, detail: string): KernelError {
  const code = codeFromErrno(errno);
  return new KernelError(code, op, detail, { errno: Math.abs(errno) });
}

/**
 * Wraps anything thrown below the Kernel interface (native socket, our own code, or the
 * `netlink` package) into a KernelError.
 * Recognised shapes, in order:
 *  1. already a KernelError: returned as is;
 *  2. an object with a string `code` (Node ErrnoException from the native socket): that code,
 *     when it is one we know, with its numeric `errno`;
 *  3. `Request rejected: NAME` or `Request rejected: 17` (netlink's checkError);
 *  4. `Timeout has been reached` (netlink's request timeout): ETIMEDOUT;
 *  5. anything else: EUNKNOWN, the original kept as `cause`.
 */
export function toKernelError(e: unknown, op: string): KernelError {
  if (e instanceof KernelError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (typeof e === 'object' && e !== null) {
    const rec = e as { code?: unknown; errno?: unknown };
    if (typeof rec.code === 'string' && KNOWN_CODES.has(rec.code)) {
      const errno = typeof rec.errno === 'number' ? Math.abs(rec.errno) : undefined;
      return new KernelError(rec.code as KernelErrorCode, op, msg, { ...(errno !== undefined ? { errno } : {}), cause: e });
    }
  }
  const rejected = /Request rejected: (-?\d+|[A-Z][A-Z0-9_]*)/.exec(msg);
  if (rejected) {
    const token = rejected[1];
    if (/^-?\d+$/.test(token)) {
      const n = Math.abs(Number(token));
      return new KernelError(codeFromErrno(n), op, msg, { errno: n, cause: e });
    }
    const code = KNOWN_CODES.has(token) ? (token as KernelErrorCode) : 'EUNKNOWN';
    let errno: number | undefined;
    for (const [n, c] of ERRNO_TO_CODE) if (c === code) errno = n;
    return new KernelError(code, op, msg, { ...(errno !== undefined ? { errno } : {}), cause: e });
  }
  if (/Timeout has been reached/.test(msg)) return new KernelError('ETIMEDOUT', op, msg, { errno: 110, cause: e });
  return new KernelError('EUNKNOWN', op, msg, { cause: e });
}
