/**
 * Issue 26 item 6 at the forms proxy: a locked user whose password the app accepted meets the
 * host's lock page (until when, the help desk) after the hop to the challenge, and the held
 * reply is discarded, never released.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, hasAppCookie, postLogin, startRig, type Rig } from './support/rig.js';
import { RawBrowser } from './support/raw-client.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('forms-proxy: a locked user', () => {
  it('gets the lock page after the right password, and the app reply stays held back', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    // alice exists (first sign-in), then reaches the lockout limit on another host.
    await postLogin(new RawBrowser(), rig);
    const until = rig.clock.now() + 15 * 60_000;
    await rig.running.host.api.store.db.updateTable('users').set({ failed_attempts: 5, locked_until: until }).where('username', '=', ALICE.username).execute();

    const held = await postLogin(b, rig);
    expect(held.status).toBe(303);
    const start = await b.follow(held, rig.main);
    const page = await b.send(rig.main, { path: String(start.headers.location) });
    expect(page.status).toBe(403);
    expect(page.body).toContain('Two-step verification is locked');
    expect(page.body).toContain(`<time datetime="${new Date(until).toISOString()}">`);
    expect(page.body).toContain('Contact your help desk.');
    expect(hasAppCookie(page)).toBe(false);
    const rows = (await rig.running.host.api.store.db.selectFrom('forms_proxy_pending' as never).selectAll().execute()) as unknown as { state: string; held_enc: string }[];
    expect(rows.filter((r) => r.state === 'denied').map((r) => r.held_enc)).toEqual(['']);
  });
});
