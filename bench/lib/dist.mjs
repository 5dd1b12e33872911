// The compiled tree the lab benchmarks run: $KT_DIST when set, else a fresh tsc build of the
// repository into bench/out/dist with the bundle the package's bin runs (scripts/bundle.mjs)
// beside it. Exits 2 when the build fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function benchDist(repo) {
  if (process.env.KT_DIST) return process.env.KT_DIST;
  const dist = join(repo, 'bench/out/dist');
  console.error('building the TypeScript tree into bench/out/dist ...');
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--outDir', dist], { cwd: repo, stdio: 'inherit' });
  if (!existsSync(join(dist, 'src/cli/main.js'))) {
    console.error(`build failed (exit ${r.status})`);
    process.exit(2);
  }
  const b = spawnSync(process.execPath, [join(repo, 'scripts/bundle.mjs'), '--outdir', join(dist, 'bin')], { cwd: repo, stdio: 'inherit' });
  if (b.status !== 0) {
    console.error(`bundle failed (exit ${b.status})`);
    process.exit(2);
  }
  return dist;
}
