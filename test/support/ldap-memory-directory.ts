/** An in-memory `Directory` for importer and sync tests that need exact control (failures mid-listing). */
import type { AuthenticationResult, Directory, DirectoryUser, ListOptions } from '../../src/directory/directory.js';

export class MemoryDirectory implements Directory {
  readonly kind = 'ldap';
  users: DirectoryUser[];
  /** Throw after yielding this many users (a crash or an outage mid-listing). */
  failAfter: number | undefined;
  listCalls = 0;
  /** Resolves each listing only when the test says so (overlap tests). */
  gate: Promise<void> | undefined;

  constructor(users: DirectoryUser[] = []) {
    this.users = users;
  }

  authenticate(): Promise<AuthenticationResult> {
    return Promise.resolve({ ok: false, reason: 'INVALID_CREDENTIALS' });
  }

  find(username: string): Promise<DirectoryUser | null> {
    return Promise.resolve(this.users.find((u) => u.username === username) ?? null);
  }

  async *list(_options?: ListOptions): AsyncGenerator<DirectoryUser> {
    this.listCalls++;
    if (this.gate) await this.gate;
    let n = 0;
    for (const u of this.users) {
      if (this.failAfter !== undefined && n >= this.failAfter) throw new Error('directory iterator failed mid-way');
      n++;
      yield u;
    }
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function makeUser(i: number, over: Partial<DirectoryUser> = {}): DirectoryUser {
  return {
    externalId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    username: `user${i}`,
    givenName: 'Given',
    surname: `Surname ${i}`,
    email: `user${i}@corp.example`,
    phone: undefined,
    mobile: undefined,
    disabled: false,
    ...over,
  };
}
