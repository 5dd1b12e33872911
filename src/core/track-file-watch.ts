// The track_file watcher lives in lib/ so the checker process (FILE_CHECK) uses the same one.
export * from '../lib/track-file-watch.js';
