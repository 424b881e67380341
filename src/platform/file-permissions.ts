import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

/** Thrown when a private path has loose permissions that cannot be fixed (not our file). */
export class InsecurePermissionsError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `${path} is readable or writable by other users and its mode could not be tightened (${(cause as Error)?.message ?? cause}); fix its owner or mode (0700 for directories, 0600 for files) and start again.`,
    );
    this.name = 'InsecurePermissionsError';
  }
}

export interface PermissionReport {
  /** Paths whose mode was tightened (directories to 0700, files to 0600). */
  fixed: string[];
}

const LOOSE = 0o077;

function tighten(path: string, isDir: boolean, report: PermissionReport): void {
  const mode = lstatSync(path).mode & 0o777;
  if ((mode & LOOSE) === 0) return;
  try {
    chmodSync(path, isDir ? 0o700 : 0o600);
  } catch (err) {
    throw new InsecurePermissionsError(path, err);
  }
  report.fixed.push(path);
}

function walk(dir: string, report: PermissionReport): void {
  tighten(dir, true, report);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) continue; // never follow a link out of the data directory
    if (stat.isDirectory()) walk(path, report);
    else if (stat.isFile()) tighten(path, false, report);
  }
}

/**
 * Issue 11, item 3: the embedded database (its write-ahead log holds chat messages),
 * local files and the generated JWT secret are private to the service's user.
 *  - The process umask becomes 0077, so everything created from now on (PGlite's files,
 *    uploads, log files) is 0600/0700 whatever the library asks for.
 *  - DATA_DIR is created 0700; an existing one, and everything in it, is tightened to
 *    0700 (directories) / 0600 (files); a path we cannot fix stops start-up.
 *  - LOG_FILE and its rotated siblings are tightened to 0600 (not its directory, which may
 *    be a shared one like /var/log).
 * Returns what was fixed, for a warning in the log.
 */
export function secureFilesystem(options: { dataDir: string; createDataDir: boolean; logFile: string | null }): PermissionReport {
  if (isMainThread) process.umask(0o077);
  const report: PermissionReport = { fixed: [] };
  if (options.createDataDir) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  if (existsSync(options.dataDir)) walk(options.dataDir, report);
  if (options.logFile) {
    const dir = dirname(options.logFile);
    const stem = basename(options.logFile).replace(/\.[^.]*$/, '');
    if (existsSync(dir)) {
      for (const name of readdirSync(dir)) {
        if (name !== basename(options.logFile) && !name.startsWith(`${stem}.`)) continue;
        const path = join(dir, name);
        if (lstatSync(path).isFile()) tighten(path, false, report);
      }
    }
  }
  return report;
}
