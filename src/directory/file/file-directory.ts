/**
 * The YAML-file directory: the demo's users, or a small site's. The file is re-read when it
 * changes on disk, so `factorgate users hash-password` + an edit takes effect without a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { foldUsername, type AuthenticationResult, type Directory, type DirectoryUser } from '../directory.js';
import type { Logger } from 'pino';
import { checkPassword, dummyPasswordHash, isPasswordHash } from '../password-hash.js';
import { FactorgateError } from '../../kit/errors.js';
import { formatIssues } from '../../kit/format-issues.js';

const fileUserSchema = z.strictObject({
  username: z.string().min(1).max(256),
  id: z.string().min(1).max(256).optional(),
  passwordHash: z.string().refine(isPasswordHash, 'expected a hash from `factorgate users hash-password`'),
  upn: z.string().optional(),
  displayName: z.string().optional(),
  givenName: z.string().optional(),
  surname: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  mobile: z.string().optional(),
  disabled: z.boolean().default(false),
  attributes: z.record(z.string(), z.array(z.string())).optional(),
  groups: z.array(z.string().min(1).max(256)).optional(),
});

const usersFileSchema = z.strictObject({ users: z.array(fileUserSchema).default([]) });

type FileUser = z.output<typeof fileUserSchema>;

export { foldUsername };

export function parseUsersFile(text: string, label: string): FileUser[] {
  let raw: unknown;
  try {
    raw = parse(text, { uniqueKeys: true }) ?? {};
  } catch (err) {
    throw new FactorgateError('CONFIG_INVALID', { detail: `${label}: ${(err as Error).message.split('\n')[0]}` });
  }
  const parsed = usersFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new FactorgateError('CONFIG_INVALID', { detail: formatIssues(parsed.error.issues).map((l) => `${label}: ${l}`).join('; ') });
  }
  const seen = new Set<string>();
  for (const u of parsed.data.users) {
    const key = foldUsername(u.username);
    if (seen.has(key)) throw new FactorgateError('CONFIG_INVALID', { detail: `${label}: user "${u.username}" is listed twice` });
    seen.add(key);
  }
  return parsed.data.users;
}

function toDirectoryUser(u: FileUser): DirectoryUser {
  return {
    externalId: u.id ?? `file:${foldUsername(u.username)}`,
    username: u.username,
    upn: u.upn,
    displayName: u.displayName,
    givenName: u.givenName,
    surname: u.surname,
    email: u.email,
    phone: u.phone,
    mobile: u.mobile,
    disabled: u.disabled,
    attributes: u.attributes,
    groups: u.groups,
  };
}

export class FileDirectory implements Directory {
  readonly kind = 'file';
  readonly #path: string;
  #mtimeMs = -1;
  #users = new Map<string, FileUser>();
  readonly #logger: Logger | undefined;
  /** Users already told about (once per process and hash, not at every sign-in). */
  readonly #toldOldHash = new Set<string>();

  constructor(path: string, deps: { logger?: Logger | undefined } = {}) {
    this.#path = path;
    this.#logger = deps.logger;
    this.#reload();
  }

  #reload(): void {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.#path).mtimeMs;
    } catch (cause) {
      throw new FactorgateError('DIRECTORY_UNAVAILABLE', { detail: `users file ${this.#path} cannot be read`, cause });
    }
    if (mtimeMs === this.#mtimeMs) return;
    const users = parseUsersFile(readFileSync(this.#path, 'utf8'), this.#path);
    this.#users = new Map(users.map((u) => [foldUsername(u.username), u]));
    this.#mtimeMs = mtimeMs;
  }

  async authenticate(username: string, password: string): Promise<AuthenticationResult> {
    this.#reload();
    const user = this.#users.get(foldUsername(username));
    // Unknown users cost one hash as well, so timing tells nothing (and the answer is the same).
    const { ok, needsRehash } = await checkPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) return { ok: false, reason: password === '' ? 'EMPTY_PASSWORD' : 'INVALID_CREDENTIALS' };
    if (needsRehash) this.#tellOldHash(user);
    if (user.disabled) return { ok: false, reason: 'USER_DISABLED' };
    return { ok: true, user: toDirectoryUser(user) };
  }

  /**
   * The users file is the administrator's, not ours to rewrite (comments, layout, configuration
   * management): a hash below today's cost cannot be upgraded at sign-in as the store's are, so
   * the log says which entry to replace and how.
   */
  #tellOldHash(user: FileUser): void {
    if (this.#toldOldHash.has(user.passwordHash)) return;
    this.#toldOldHash.add(user.passwordHash);
    this.#logger?.warn(
      { username: user.username, file: this.#path, hashFormat: user.passwordHash.split('$')[user.passwordHash.startsWith('$') ? 1 : 0] },
      'users file: this password hash is below today\'s cost; run `factorgate users hash-password` and replace it',
    );
  }

  async find(username: string): Promise<DirectoryUser | null> {
    this.#reload();
    const user = this.#users.get(foldUsername(username));
    return user ? toDirectoryUser(user) : null;
  }

  async *list(): AsyncIterable<DirectoryUser> {
    this.#reload();
    for (const u of this.#users.values()) yield toDirectoryUser(u);
  }

  async ping(): Promise<void> {
    this.#reload();
  }

  async close(): Promise<void> {}
}
