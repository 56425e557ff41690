/**
 * The user list's "last sign-in" column against the audit rows written here, shared by the SQLite
 * and PostgreSQL user-search tests: each user gets their own newest sign-in event, events that
 * are no sign-in try are passed over, a user with none has none.
 */
import { expect } from 'vitest';
import { createLogger } from '../../src/audit/logger.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { ManualClock } from '../../src/kit/clock.js';
import { searchUsers } from '../../src/admin/user-search.js';
import type { Store } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';

export async function checkLastSignIns(store: Store): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const users = new UserRepository(store.db, clock);
  const audit = new AuditLog(store.db, clock, createLogger({ level: 'silent' }));
  const made = [];
  for (const name of ['ls-ann', 'ls-ben', 'ls-cat', 'ls-dan']) {
    made.push(await users.upsertFromDirectory({ externalId: `ext-${name}`, username: name, disabled: false }, 'file'));
  }
  const [ann, ben, cat] = made;
  const at = (ms: number) => clock.set(Date.UTC(2026, 5, 1) + ms);
  at(1000);
  await audit.record({ event: 'primary', result: 'success', user: ann });
  at(2000);
  await audit.record({ event: 'second-factor', result: 'failure', denyReason: 'WRONG_CODE', user: ann, method: 'totp' });
  at(3000);
  await audit.record({ event: 'portal.method-added', result: 'success', user: ann }); // not a sign-in try
  at(1500);
  await audit.record({ event: 'second-factor', result: 'success', user: ben, method: 'totp' });
  at(1200);
  await audit.record({ event: 'bypass-used', result: 'success', user: ben });
  at(4000);
  await audit.record({ event: 'remembered-device', result: 'success', user: cat }); // not a sign-in try either
  const page = await searchUsers(store.db, { query: 'ls-', page: 0, pageSize: 25, now: clock.now() });
  const t0 = Date.UTC(2026, 5, 1);
  expect(page.users.map((u) => [u.username, u.lastSignIn])).toEqual([
    ['ls-ann', { at: t0 + 2000, event: 'second-factor', result: 'failure', denyReason: 'WRONG_CODE' }],
    ['ls-ben', { at: t0 + 1500, event: 'second-factor', result: 'success', denyReason: null }],
    ['ls-cat', null],
    ['ls-dan', null],
  ]);
}
