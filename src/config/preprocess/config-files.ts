// The file system as the config front end sees it: injectable so tests can use an in-memory
// tree. The Node implementation is src/config/node-files.ts.

export interface ConfigFileStat {
  readonly kind: 'file' | 'dir' | 'other';
  /** Any execute bit set: keepalived refuses to read such a file as config. */
  readonly executable: boolean;
}

export interface ConfigFiles {
  /** Whole file as UTF-8 text, or undefined when it cannot be read. */
  readFile(path: string): string | undefined;
  /**
   * Absolute paths matching a shell wildcard pattern (`*`, `?`, `[...]`; no braces: the caller
   * expands those), relative patterns resolved against `cwd`, sorted like glob(3). A pattern
   * without wildcards yields the path itself when it exists. Names starting with '.' only match
   * a pattern component that starts with '.'.
   */
  glob(pattern: string, cwd: string): string[];
  /** Canonical path, used to detect include cycles through symlinks. Defaults to the path. */
  realpath?(path: string): string;
  /** File type, used to skip directories and executable or special files like keepalived. */
  stat?(path: string): ConfigFileStat | undefined;
}
