/**
 * The token stock page (admin only): unassigned tokens listed, a PSKC or CSV file imported from
 * the page's multipart form through the CLI's importer with the same line-numbered problems,
 * all or nothing unless asked; CSRF inside the multipart form; the help desk refused.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';
import { Browser, field } from '../../challenge/harness.js';
import type { Store } from '../../../src/store/store.js';
import { encodeBase32 } from '../../../src/otp/index.js';
import { CONSOLE_ROLES, CONSOLE_USERS, consoleUser, signInToConsole, storeOf } from './console-support.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let store: Store;
const root = new Browser('');
const hd = new Browser('');
const SEED = encodeBase32(Buffer.from('12345678901234567890', 'ascii'));
const HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';

/** Posts the import form as a browser does (multipart/form-data), with the page's CSRF token unless given. */
async function upload(b: Browser, file: { name: string; bytes: Buffer | string }, fields: Record<string, string>, csrf?: string) {
  const page = await b.get('/admin/tokens');
  const form = new FormData();
  form.set('_csrf', csrf ?? field(page.body, '_csrf'));
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([typeof file.bytes === 'string' ? file.bytes : new Uint8Array(file.bytes)]), file.name);
  const res = await fetch(new URL('/admin/tokens/import', h.url), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: [...b.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; '), 'accept-language': 'en' },
    body: form,
  });
  return { status: res.status, body: await res.text() };
}

const stockSerials = async () => (await store.db.selectFrom('oath_tokens').select('serial').where('user_id', 'is', null).orderBy('serial').execute()).map((r) => r.serial);

beforeAll(async () => {
  h = await startHost({ clock, users: CONSOLE_USERS, config: { admin: { roles: CONSOLE_ROLES } } });
  store = await storeOf(h);
  root.base = h.url;
  hd.base = h.url;
  clock.advance(30_000);
  await signInToConsole(root, clock, consoleUser('root'));
  clock.advance(30_000);
  await signInToConsole(hd, clock, consoleUser('hd'));
});
afterAll(async () => {
  await store?.close();
  await h?.close();
});

describe('the token stock page', () => {
  it('is for admins only', async () => {
    expect((await hd.get('/admin/tokens')).status).toBe(403);
    expect((await hd.get('/admin')).body).not.toContain('href="/admin/tokens"');
    expect((await root.get('/admin')).body).toContain('href="/admin/tokens"');
    const r = await root.get('/admin/tokens');
    expect(r.status).toBe(200);
    expect(r.body).toContain('No unassigned token in stock.');
  });

  it('refuses an import without the CSRF token in the multipart form, and imports nothing', async () => {
    const r = await upload(root, { name: 't.csv', bytes: `${HEADER}\n,SN-1,${SEED},30,Acme,K1\n` }, { format: 'csv' }, 'forged');
    expect(r.status).toBe(403);
    expect(await stockSerials()).toEqual([]);
  });

  it('reports a bad line by its number, like the CLI, and imports nothing unless the good ones are asked for', async () => {
    const csv = `${HEADER}\n,SN-1,${SEED},30,Acme,K1\n,SN-2,not*base32,30,Acme,K1\n`;
    const refused = await upload(root, { name: 't.csv', bytes: csv }, { format: 'csv' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Nothing imported: 1 problems.');
    expect(refused.body).toMatch(/<li>line 3, serial SN-2: BAD_BASE32: /);
    expect(await stockSerials()).toEqual([]);

    const partial = await upload(root, { name: 't.csv', bytes: csv }, { format: 'csv', partial: '1' });
    expect(partial.status).toBe(200);
    expect(partial.body).toContain('Imported 1 tokens (0 assigned).');
    expect(partial.body).toMatch(/<table class="list" id="stock">.*<td>SN-1<\/td>/s);
    expect(await stockSerials()).toEqual(['SN-1']);
    const audit = await store.db.selectFrom('audit_events').select('detail').where('event', '=', 'admin-action').execute();
    expect(audit.map((a) => JSON.parse(a.detail!) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ action: 'import-tokens', admin: 'console:root', imported: 1, problems: 1 }));
  });

  it('imports an RFC 6030 PSKC file into the stock', async () => {
    const r = await upload(root, { name: 'f3.pskcxml', bytes: readFileSync('test/tokens/fixtures/rfc6030-figure3.pskcxml') }, { format: 'pskc' });
    expect(r.status).toBe(200);
    expect(r.body).toContain('Imported 1 tokens');
    expect((await stockSerials()).length).toBe(2);
  });

  it('refuses a PSKC file with a DOCTYPE (entity expansion) with its problem, storing nothing', async () => {
    const before = await stockSerials();
    const r = await upload(root, { name: 'bomb.xml', bytes: readFileSync('test/tokens/fixtures/billion-laughs.pskcxml') }, { format: 'pskc' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Nothing imported');
    expect(await stockSerials()).toEqual(before);
  });

  it('answers a form without a file or with an unknown format with the page and a 400', async () => {
    const noFormat = await upload(root, { name: 't.csv', bytes: 'x' }, { format: 'xls' });
    expect(noFormat.status).toBe(400);
    expect(noFormat.body).toContain('choose PSKC or CSV');
  });
});
