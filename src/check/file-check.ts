// FILE_CHECK (pure): a tracked file's value becomes a real server's checker state and weight,
// as keepalived 2.2.7 does (trackers/track_file.c update_track_file_status and
// process_update_checker_track_file_status, check/check_file.c):
//  * weight 0: the value 0 is up, any other value is down (`reverse`: the other way round);
//  * weight W: status = value * W (negated with `reverse`), clamped to 32 bits; the lowest
//    32-bit value (keepalived's IPVS_WEIGHT_FAULT) is down, anything else is up and adds the
//    status to the real server's weight (its effective weight, shown clamped to 0..2^31-1).
// The checker's own `weight` overrides the global track_file block's (`weight` and `reverse`).
// There is no probe loop: the file is watched and every new value is applied at once; the
// checker has "run" from the start and is never alpha (check_file.c add_rs_to_track_files).

/** keepalived's IPVS_WEIGHT_FAULT (INT32_MIN). */
export const WEIGHT_FAULT = -2147483648;

export type FileStatus = { readonly up: false } | { readonly up: true; readonly offset: number };

export function fileStatus(value: number, weight: number, reverse: boolean): FileStatus {
  if (weight === 0) return (value !== 0) !== reverse ? { up: false } : { up: true, offset: 0 };
  const raw = value * weight * (reverse ? -1 : 1);
  const clamped = Math.min(Math.max(raw, WEIGHT_FAULT), 2147483647);
  return clamped === WEIGHT_FAULT ? { up: false } : { up: true, offset: clamped };
}
