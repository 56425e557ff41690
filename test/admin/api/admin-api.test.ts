/**
 * The admin API over HTTP on a real host, with tokens made by the real `factorgate admin token`
 * command: bearer checks (missing, unknown, revoked → 401, audited), roles (helpdesk refused on
 * admin routes → 403, audited), every action audited as `admin-action` naming the token, input
 * errors as JSON, audit paging, reports that match the rows, and regulation of bad tokens.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFactorgate } from '../../support/factorgate-cli.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { UserRepository } from '../../../src/users/user-repository.js';
import { systemClock } from '../../../src/kit/clock.js';

const API = '/admin/api/v1';
let h: RunningHost;
let store: Store;
let helpdesk: string;
let admin: string;
let revoked: string;
let config: string;

async function makeToken(name: string, role: string): Promise<string> {
  const r = await runFactorgate(['admin', 'token', 'create', '--name', name, '--role', role, '--config', config], { USER: 'root-jo' });
  expect(r.code, r.err).toBe(0);
  return r.out.trim();
}

async function call(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; text: string; headers: Headers }> {
  const res = await fetch(`${h.url}${API}${path}`, {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // CSV or empty
  }
  return { status: res.status, json, text, headers: res.headers };
}

async function auditRows(event: string) {
  return store.db.selectFrom('audit_events').selectAll().where('event', '=', event).orderBy('ts').orderBy('id').execute();
}

beforeAll(async () => {
  h = await startHost({ config: { regulation: { client: { maxFailures: 1000 } } } });
  config = join(h.dir, 'factorgate.yaml');
  const hostConfig = h.host.config;
  if (hostConfig.store.driver !== 'sqlite') throw new Error('this test uses SQLite');
  store = await openStore({ driver: 'sqlite', file: hostConfig.store.path! });
  const users = new UserRepository(store.db, systemClock);
  await users.upsertFromDirectory({ externalId: 'alice', username: 'alice', displayName: 'Alice Martin', email: 'alice@example.test', mobile: '+33612345678', disabled: false }, 'file');
  await users.upsertFromDirectory({ externalId: 'bob', username: 'bob', displayName: 'Bob Durand', email: 'bob@example.test', disabled: false }, 'file');
  [helpdesk, admin, revoked] = [await makeToken('helpdesk-bot', 'helpdesk'), await makeToken('admin-bot', 'admin'), await makeToken('old-bot', 'admin')];
  expect((await runFactorgate(['admin', 'token', 'revoke', 'old-bot', '--config', config])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await store?.close();
  await h?.close();
});

describe('admin API authentication', () => {
  it('answers 401 JSON to no token, an unknown token and a revoked token, and audits each refusal', async () => {
    const before = (await auditRows('admin-api')).length;
    const none = await call('GET', '/users', null);
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ error: 'UNAUTHORIZED', detail: 'a valid API token is required (Authorization: Bearer <token>)' });
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="factorgate admin API"');
    const unknown = await call('GET', '/users', `fgat_${'A'.repeat(43)}`);
    expect(unknown.status).toBe(401);
    const old = await call('GET', '/users', revoked);
    expect(old.status).toBe(401);
    expect(old.json.error).toBe('UNAUTHORIZED');
    const rows = (await auditRows('admin-api')).slice(before);
    expect(rows.map((r) => [r.result, r.deny_reason])).toEqual([
      ['denied', 'TOKEN_MISSING'],
      ['denied', 'TOKEN_UNKNOWN'],
      ['denied', 'TOKEN_REVOKED'],
    ]);
    expect(JSON.parse(rows[2]!.detail!)).toMatchObject({ token: 'old-bot', path: '/users' });
    // The token itself reaches neither the log nor the audit.
    expect(h.logs.join('\n')).not.toContain(revoked);
    expect(JSON.stringify(rows)).not.toContain(revoked);
  });

  it('refuses a helpdesk token on admin routes with 403 and changes nothing', async () => {
    const before = (await auditRows('admin-api')).length;
    const disable = await call('POST', '/users/alice/disable', helpdesk, { reason: 'try' });
    expect(disable.status).toBe(403);
    expect(disable.json).toEqual({ error: 'FORBIDDEN', detail: 'this route needs the admin role' });
    expect((await call('GET', '/tokens', helpdesk)).status).toBe(403);
    expect((await call('DELETE', '/users/alice/tokens/X1', helpdesk, { reason: 'x' })).status).toBe(403);
    const user = await store.db.selectFrom('users').select('admin_disabled').where('username', '=', 'alice').executeTakeFirstOrThrow();
    expect(user.admin_disabled).toBe(0);
    const rows = (await auditRows('admin-api')).slice(before);
    expect(rows.map((r) => r.deny_reason)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(JSON.parse(rows[0]!.detail!)).toMatchObject({ token: 'helpdesk-bot', role: 'helpdesk', needs: 'admin', path: '/users/alice/disable' });
  });

  it('answers 404 JSON to an unknown route, once authenticated', async () => {
    expect(await call('GET', '/nothing-here', admin)).toMatchObject({ status: 404, json: { error: 'NOT_FOUND' } });
    expect((await call('GET', '/nothing-here', null)).status).toBe(401);
  });
});

describe('admin API users', () => {
  it('searches by prefix with paging; phone numbers are masked for helpdesk, shown to admin', async () => {
    const found = await call('GET', '/users?q=ALI', helpdesk);
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({ users: [{ username: 'alice', displayName: 'Alice Martin', status: 'enabled', bypassUntil: null }], hasNext: false });
    const first = await call('GET', '/users?limit=1', helpdesk);
    expect(first.json).toMatchObject({ users: [{ username: 'alice' }], page: 0, hasNext: true });
    const second = await call('GET', '/users?limit=1&page=1', helpdesk);
    expect(second.json).toMatchObject({ users: [{ username: 'bob' }], page: 1, hasNext: false });
    expect((await call('GET', '/users?q=%2B33612', helpdesk)).json).toMatchObject({ users: [{ username: 'alice' }] });
    expect((await call('GET', '/users?limit=0', helpdesk)).status).toBe(400);

    expect((await call('GET', '/users/alice', helpdesk)).json.phone).toBe('+33 6 •• •• •• 78');
    expect((await call('GET', '/users/alice', admin)).json.phone).toBe('+33612345678');
    expect(await call('GET', '/users/nobody', admin)).toMatchObject({ status: 404, json: { error: 'NOT_FOUND', detail: 'no user "nobody"' } });
  });

  it('carries out each action with a reason and audits it as admin-action naming the token', async () => {
    const alice = await store.db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow();
    const now = Date.now();
    await store.db.insertInto('factors').values([
      { id: 'm-totp', user_id: alice.id, kind: 'totp', label: 'phone', secret_enc: 'x', params: '{}', is_default: 1, confirmed: 1, last_used_step: null, created_at: now, last_used_at: null },
      { id: 'm-email', user_id: alice.id, kind: 'email', label: null, secret_enc: null, params: '{"to":"alice@example.test"}', is_default: 0, confirmed: 1, last_used_step: null, created_at: now, last_used_at: null },
    ]).execute();
    await store.db.updateTable('users').set({ failed_attempts: 5, locked_until: now + 600_000 }).where('id', '=', alice.id).execute();
    const before = (await auditRows('admin-action')).length;

    const noReason = await call('POST', '/users/alice/unlock', helpdesk, {});
    expect(noReason.status).toBe(400);
    expect(noReason.json.detail).toContain('body.reason');
    expect((await call('POST', '/users/alice/unlock', helpdesk, { reason: '   ' })).status).toBe(400);
    expect((await call('POST', '/users/alice/bypass', helpdesk, { reason: 'x', minutes: 61 })).status).toBe(400);
    expect((await auditRows('admin-action')).length).toBe(before);

    expect((await call('POST', '/users/alice/unlock', helpdesk, { reason: 'ticket 1' })).json).toEqual({ action: 'unlock', username: 'alice' });
    expect((await call('GET', '/users/alice', helpdesk)).json).toMatchObject({ lockedUntil: null, failedAttempts: 0 });
    expect((await call('DELETE', '/users/alice/methods/m-email', helpdesk, { reason: 'ticket 2' })).json).toEqual({ action: 'remove-method', username: 'alice', methodId: 'm-email' });
    const bypass = await call('POST', '/users/alice/bypass', helpdesk, { reason: 'ticket 3', minutes: 10 });
    expect(bypass.json).toMatchObject({ action: 'bypass', username: 'alice' });
    expect((await call('GET', '/users?q=alice', helpdesk)).json).toMatchObject({ users: [{ bypassUntil: (bypass.json as { expiresAt: string }).expiresAt, methods: ['totp'] }] });
    expect((await call('POST', '/users/alice/reset', helpdesk, { reason: 'ticket 4' })).json).toEqual({ action: 'reset-methods', username: 'alice', removed: { methods: 1, tokens: 0 } });
    expect((await call('POST', '/users/alice/disable', admin, { reason: 'ticket 5' })).json).toEqual({ action: 'disable', username: 'alice' });
    expect((await call('GET', '/users/alice', admin)).json).toMatchObject({ status: 'disabled', disabledBy: ['admin'] });
    expect((await call('POST', '/users/alice/enable', admin, { reason: 'ticket 6' })).status).toBe(200);

    const actions = (await auditRows('admin-action')).slice(before).map((r) => ({ user: r.username, ...(JSON.parse(r.detail!) as { action: string; admin: string; reason: string }) }));
    expect(actions.map((a) => [a.user, a.action, a.admin, a.reason])).toEqual([
      ['alice', 'unlock', 'api:helpdesk-bot', 'ticket 1'],
      ['alice', 'remove-method', 'api:helpdesk-bot', 'ticket 2'],
      ['alice', 'bypass', 'api:helpdesk-bot', 'ticket 3'],
      ['alice', 'reset-methods', 'api:helpdesk-bot', 'ticket 4'],
      ['alice', 'disable', 'api:admin-bot', 'ticket 5'],
      ['alice', 'enable', 'api:admin-bot', 'ticket 6'],
    ]);
  });

  it('assigns and takes back a hardware token (admin only), audited with the serial', async () => {
    const now = Date.now();
    await store.db
      .insertInto('oath_tokens')
      .values({ id: 't1', serial: 'HW-0001', kind: 'totp', algorithm: 'SHA1', digits: 6, period: 30, counter: '0', drift_steps: 0, secret_enc: 'sealed', issuer: null, user_id: null, disabled: 0, manufacturer: 'Acme', model: 'C200', last_used_step: null, last_used_at: null, created_at: now, updated_at: now })
      .execute();
    expect((await call('GET', '/tokens?state=unassigned', admin)).json).toMatchObject({ tokens: [{ serial: 'HW-0001', username: null, manufacturer: 'Acme' }] });
    expect((await call('POST', '/users/bob/tokens', helpdesk, { serial: 'HW-0001', reason: 'x' })).status).toBe(403);
    expect((await call('POST', '/users/bob/tokens', admin, { serial: 'HW-0001', reason: 'new starter' })).json).toEqual({ action: 'assign-token', username: 'bob', serial: 'HW-0001' });
    expect((await call('POST', '/users/alice/tokens', admin, { serial: 'HW-0001', reason: 'x' })).status).toBe(400);
    expect((await call('GET', '/tokens?user=bob', admin)).json).toMatchObject({ tokens: [{ serial: 'HW-0001', username: 'bob' }] });
    expect((await call('GET', '/users/bob', helpdesk)).json).toMatchObject({ tokens: [{ serial: 'HW-0001', disabled: false }] });
    expect((await call('DELETE', '/users/alice/tokens/HW-0001', admin, { reason: 'x' })).status).toBe(400);
    expect((await call('DELETE', '/users/bob/tokens/HW-0001', admin, { reason: 'left' })).json).toEqual({ action: 'unassign-token', username: 'bob', serial: 'HW-0001' });
    const rows = (await auditRows('admin-action')).filter((r) => r.detail?.includes('HW-0001'));
    expect(rows.map((r) => [r.username, ...(({ action, admin: by, serial }) => [action, by, serial])(JSON.parse(r.detail!) as { action: string; admin: string; serial: string })])).toEqual([
      ['bob', 'assign-token', 'api:admin-bot', 'HW-0001'],
      ['bob', 'unassign-token', 'api:admin-bot', 'HW-0001'],
    ]);
  });
});

describe('admin API audit and reports', () => {
  it('pages through the audit newest first with a cursor, and masks phones for helpdesk', async () => {
    const all = await store.db.selectFrom('audit_events').select(['id']).where('event', '=', 'admin-action').orderBy('ts', 'desc').orderBy('id', 'desc').execute();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: Record<string, unknown> } = await call('GET', `/audit?event=admin-action&limit=3${cursor ? `&cursor=${cursor}` : ''}`, helpdesk);
      const records = page.json.records as { id: string }[];
      expect(records.length).toBeLessThanOrEqual(3);
      seen.push(...records.map((r) => r.id));
      cursor = page.json.next as string | null;
    } while (cursor);
    expect(seen).toEqual(all.map((r) => r.id));
    const aliceRecord = (await call('GET', '/audit?user=alice&event=admin-action&limit=1', helpdesk)).json.records as { phone: string | null }[];
    expect(aliceRecord[0]!.phone).toBe('+33 6 •• •• •• 78');
    expect(((await call('GET', '/audit?user=alice&event=admin-action&limit=1', admin)).json.records as { phone: string }[])[0]!.phone).toBe('+33612345678');
    expect(await call('GET', '/audit?cursor=bm9wZQ', helpdesk)).toMatchObject({ status: 400, json: { error: 'BAD_REQUEST' } });
    expect((await call('GET', '/audit?since=yesterday', helpdesk)).json.detail).toContain('query.since');
  });

  it('reports sign-ins by day as JSON and the same rows as CSV, counted from the rows the test wrote', async () => {
    const day = Date.UTC(2026, 10, 2);
    const rows = [
      ['second-factor', 'success', 'totp', null, 0],
      ['second-factor', 'failure', 'totp', 'BAD_CODE', 1],
      ['challenge', 'denied', null, 'LOCKED', 1],
      ['bypass-used', 'success', 'bypass', null, 2],
      ['admin-action', 'success', null, null, 2],
    ] as const;
    let n = 0;
    for (const [event, result, method, reason, d] of rows) {
      await store.db
        .insertInto('audit_events')
        .values({ id: `r-${n++}`, ts: day + d * 86_400_000 + n * 1000, event, user_id: null, username: 'bob', given_name: null, surname: null, email: null, phone: null, device_token: null, method, result, deny_reason: reason, server_name: 't', server_ip: null, client_ip: null, adapter: 'saml-idp', relying_party: 'rp1', challenge_id: null, detail: null })
        .execute();
    }
    const window = 'since=2026-11-01T00:00:00Z&until=2026-11-30T00:00:00Z';
    const json = await call('GET', `/reports/sign-ins?by=day&${window}`, helpdesk);
    expect(json.status).toBe(200);
    const expected = [0, 1, 2].map((d) => {
      const those = rows.filter((r) => r[4] === d && r[0] !== 'admin-action');
      return { key: new Date(day + d * 86_400_000).toISOString().slice(0, 10), success: those.filter((r) => r[1] === 'success').length, failure: those.filter((r) => r[1] === 'failure').length, denied: those.filter((r) => r[1] === 'denied').length, total: those.length };
    });
    expect(json.json).toMatchObject({ report: 'sign-ins', by: 'day', rows: expected });
    const csv = await call('GET', `/reports/sign-ins?by=day&${window}&format=csv`, helpdesk);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename=sign-ins-by-day.csv');
    expect(csv.text).toBe(`day,success,failure,denied,total\r\n${expected.map((r) => `${r.key},${r.success},${r.failure},${r.denied},${r.total}`).join('\r\n')}\r\n`);
    expect((await call('GET', `/reports/lockouts?by=user&${window}`, helpdesk)).json).toMatchObject({ rows: [{ key: 'bob', denied: 1, total: 1 }] });
    expect((await call('GET', `/reports/deny-reasons?${window}`, helpdesk)).json).toMatchObject({ by: 'reason', rows: [{ key: 'BAD_CODE', total: 1 }, { key: 'LOCKED', total: 1 }] });
    expect((await call('GET', `/reports/bypasses?${window}`, helpdesk)).json).toMatchObject({ rows: [{ key: '2026-11-04', success: 1 }] });
    expect(await call('GET', '/reports/colours', helpdesk)).toMatchObject({ status: 404, json: { error: 'NOT_FOUND' } });
    expect((await call('GET', '/reports/sign-ins?since=2026-11-02&until=2026-11-01', helpdesk)).status).toBe(400);
  });
});

describe('admin API regulation', () => {
  it('refuses a client with 429 and Retry-After once it sent too many bad tokens', async () => {
    const r = await startHost({ config: { regulation: { client: { maxFailures: 3 }, refusalDelay: '0s' } } });
    try {
      const bad = `fgat_${'B'.repeat(43)}`;
      for (let i = 0; i < 3; i++) expect((await fetch(`${r.url}${API}/users`, { headers: { authorization: `Bearer ${bad}` } })).status).toBe(401);
      const refused = await fetch(`${r.url}${API}/users`, { headers: { authorization: `Bearer ${bad}` } });
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ error: 'RATE_LIMITED' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await r.close();
    }
  });
});
