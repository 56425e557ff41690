/**
 * What is wrong with a users file, as problem lines (`cannot read /etc/users.yaml (ENOENT)`,
 * `/etc/users.yaml: users[0].passwordHash: …`), for the configuration's check; none when it loads.
 */
import { readFileSync } from 'node:fs';
import { FactorgateError } from '../../kit/errors.js';
import { parseUsersFile } from './file-directory.js';

export function usersFileProblems(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return [`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`];
  }
  try {
    parseUsersFile(text, path);
    return [];
  } catch (err) {
    if (err instanceof FactorgateError) return [err.detail ?? err.message];
    throw err;
  }
}
