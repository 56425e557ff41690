/**
 * The data folder and the database files are readable by factorgate's own user only: the
 * SQLite file holds sealed secrets, hashed codes, sessions and the audit trail, and the folder
 * the local key (`keys/`) and the demo directory. SQLite creates its files with 0644 less the
 * umask, and its -wal and -shm files copy the database file's mode, so the file is created (or
 * tightened) with 0600 before SQLite opens it.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates factorgate's own folder with 0700, or tightens an existing one owned by this user. A
 * shared folder (sticky bit, as /tmp) or one owned by someone else is left alone: the answer
 * says why, for the log.
 */
export function ensurePrivateDir(dir: string): { tightened: boolean; leftOpen?: string } {
  if (!existsSync(dir)) {
    // `recursive` gives every folder it creates this mode.
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    chmodSync(dir, PRIVATE_DIR_MODE); // mkdir's mode is reduced by the umask; 0700 is what we want
    return { tightened: false };
  }
  const st = statSync(dir);
  if ((st.mode & 0o077) === 0) return { tightened: false };
  if (st.mode & 0o1000) return { tightened: false, leftOpen: 'a shared folder (sticky bit)' };
  if (process.getuid && st.uid !== process.getuid()) return { tightened: false, leftOpen: `owned by uid ${st.uid}` };
  chmodSync(dir, PRIVATE_DIR_MODE);
  return { tightened: true };
}

/** Creates the SQLite file (and tightens it and its -wal/-shm companions) with 0600. */
export function preparePrivateDatabaseFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, PRIVATE_FILE_MODE);
  }
}
