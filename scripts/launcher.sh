#!/bin/sh
# dist/bin/keepalived-ts (copied there by scripts/bundle.mjs; not the package's bin, which stays
# keepalived-ts.mjs: see scripts/snapshot.mjs): runs Node on the startup snapshot beside it
# (keepalived-ts.blob, scripts/snapshot.mjs), which holds the bundle already evaluated. A script
# cannot give Node --snapshot-blob for its own process, hence
# this shell launcher; it execs, so the daemon keeps this process's pid.
#
# The snapshot is used only when keepalived-ts.blob.id says it was made from the bundle beside it
# (its build id, the first line of keepalived-ts.cjs) by the `node` found here (device, inode, size
# and mtime of the binary: Node refuses, fatally, a snapshot from another version). Otherwise one
# line on stderr, and the executable keepalived-ts.mjs runs the bundle from V8's code cache: the
# same behaviour, a slower start.
self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
dir=${self%/*}
node=$(command -v node) || { echo "keepalived-ts: node not found on PATH" >&2; exit 127; }
why=
if [ ! -r "$dir/keepalived-ts.blob" ] || [ ! -r "$dir/keepalived-ts.blob.id" ]; then
  why='is missing'
else
  IFS= read -r made < "$dir/keepalived-ts.blob.id"
  IFS= read -r head < "$dir/keepalived-ts.cjs"
  if [ "${made%% *}" != "${head#// keepalived-ts bundle }" ]; then
    why='was built from another bundle'
  elif [ "${made#* }" != "$(stat -L -c '%d:%i %s %Y' -- "$node" 2>/dev/null)" ]; then
    why="was built by another Node than $node"
  fi
fi
if [ -n "$why" ]; then
  echo "keepalived-ts: startup snapshot $dir/keepalived-ts.blob $why; starting without it (make it with: node ${dir%/*/*}/scripts/snapshot.mjs $dir)" >&2
  exec "$node" "$dir/keepalived-ts.mjs" "$@"
fi
exec "$node" --snapshot-blob "$dir/keepalived-ts.blob" "$dir/keepalived-ts.mjs" "$@"
