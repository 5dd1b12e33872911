// The sample configs beside the repository (../shared: keepalived's own samples, read at test
// time and never copied, and field configs). KT_SHARED_DIR points elsewhere (the skip-notice
// test uses it to play a clone without ../shared). Tests that need them take `hasSamples` as a
// prerequisite: a failure in CI, one skip line elsewhere.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Prereq } from './require.js';

export const SHARED = process.env.KT_SHARED_DIR ?? join(import.meta.dirname, '../../../shared');
export const SAMPLE_DIRS = ['field-configs', 'keepalived-samples'].map((d) => join(SHARED, d));

/** The files directly in the sample folders (none when the folders are missing). */
export const sampleFiles: readonly string[] = SAMPLE_DIRS.flatMap((d) => {
  try {
    return readdirSync(d).map((f) => join(d, f));
  } catch {
    return [];
  }
});

export const hasSamples: Prereq = () => (sampleFiles.length > 0 ? undefined : `no sample configs in ${SAMPLE_DIRS.join(', ')}`);
