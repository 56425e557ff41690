/**
 * Signing in to the /admin console over HTTP as a browser does: /admin → /login (password) →
 * the challenge page (enrolment the first time, a TOTP code after) → back to the console.
 */
import { decodeBase32, generateTotp } from '../../../src/otp/index.js';
import type { Clock } from '../../../src/kit/clock.js';
import { Browser, field, secretOnPage, type Page } from '../../challenge/harness.js';
import type { RunningHost, TestUser } from '../../support/host-harness.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { UserAdmin } from '../../../src/admin/user-admin.js';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { createLogger } from '../../../src/audit/logger.js';

export const CONSOLE_USERS: TestUser[] = [
  { username: 'root', password: 'root-password-1', displayName: 'Root Admin', email: 'root@example.test' },
  { username: 'hd', password: 'hd-password-1', displayName: 'Hélène Desk', groups: ['CN=FG Helpdesk,OU=Groups,DC=corp,DC=example'] },
  { username: 'alice', password: 'alice-password-1', displayName: 'Alice Martin', givenName: 'Alice', surname: 'Martin', email: 'alice@example.test', phone: '+33612345678' },
  { username: 'bob', password: 'bob-password-1', displayName: 'Bob Durand', email: 'bob@example.test' },
  { username: 'hd2', password: 'hd2-password-1', displayName: 'Hugo Desk', attributes: { memberOf: ['CN=FG Helpdesk,OU=Groups,DC=corp,DC=example'] } },
];

/** One of CONSOLE_USERS by name. */
export function consoleUser(username: string): TestUser {
  const u = CONSOLE_USERS.find((x) => x.username === username);
  if (!u) throw new Error(`no console test user ${username}`);
  return u;
}

export const CONSOLE_ROLES = { admin: { users: ['root'] }, helpdesk: { groups: ['FG Helpdesk'] } };

/** Posts the password at the page `/admin` led to; returns the challenge path. */
export async function passwordStep(b: Browser, start: string, username: string, password: string): Promise<string> {
  const toLogin = await b.get(start);
  if (toLogin.status !== 303) throw new Error(`${start} answered ${toLogin.status}`);
  const loginPath = toLogin.headers.get('location')!;
  const form = await b.get(loginPath);
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username, password, l: field(form.body, 'l') });
  if (r.status !== 303) throw new Error(`password answered ${r.status}`);
  return r.headers.get('location')!;
}

/**
 * Signs `user` in to the console in `b`; enrols a TOTP when `secret` is not given. Returns the
 * secret and the page the challenge handed back (a redirect into the console, or a refusal).
 */
export async function signInToConsole(b: Browser, clock: Clock, user: { username: string; password: string }, secret?: Buffer, start = '/admin'): Promise<{ secret: Buffer; done: Page }> {
  const path = await passwordStep(b, start, user.username, user.password);
  const page = await b.get(path);
  let bytes = secret;
  if (!bytes) {
    const decoded = decodeBase32(secretOnPage(page.body));
    if (!decoded.ok) throw new Error('no secret on the enrolment page');
    bytes = decoded.bytes;
  }
  const done = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(bytes, clock.now()) });
  return { secret: bytes, done };
}

/** The running host's SQLite store, opened beside it (as a second host sharing the store would). */
export async function storeOf(h: RunningHost): Promise<Store> {
  const configured = h.host.config.store;
  if (configured.driver !== 'sqlite' || !configured.path) throw new Error('these console tests run on SQLite');
  return openStore({ driver: 'sqlite', file: configured.path });
}

/** The help-desk operations on the host's store, as the CLI runs them. */
export function userAdminOf(h: RunningHost, store: Store, clock: Clock): UserAdmin {
  return new UserAdmin({ db: store.db, clock, audit: new AuditLog(store.db, clock, createLogger({ level: 'silent' })), config: h.host.config });
}

/** A user's own sign-in at /login, enrolling an authenticator app: the user is in the store after. */
export async function enrolAtLogin(b: Browser, clock: Clock, user: { username: string; password: string }): Promise<Buffer> {
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username: user.username, password: user.password });
  if (r.status !== 303) throw new Error(`password answered ${r.status}`);
  const path = r.headers.get('location')!;
  const page = await b.get(path);
  const decoded = decodeBase32(secretOnPage(page.body));
  if (!decoded.ok) throw new Error('no secret on the enrolment page');
  const done = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(decoded.bytes, clock.now()) });
  if (done.status !== 303) throw new Error(`enrolment answered ${done.status}`);
  return decoded.bytes;
}

/** Signs in at /login and types wrong codes until the challenge ends (locks after lockout.maxFailures). */
export async function failCodes(b: Browser, user: { username: string; password: string }, times: number): Promise<Page> {
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username: user.username, password: user.password });
  const path = r.headers.get('location')!;
  let last: Page = r;
  for (let i = 0; i < times; i++) {
    const page = await b.get(path);
    if (page.status !== 200 || !page.body.includes('name="code"')) return page;
    last = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: '000000' });
  }
  return last;
}

/** The hidden `_csrf` of the first form posting to `action` on a page. */
export function csrfOf(body: string): string {
  return field(body, '_csrf');
}
