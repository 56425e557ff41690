/**
 * Issue 20, groups refreshed: a user the bridge finds in the store is looked up in the directory
 * again at each sign-in, as a password sign-in at /login refreshes them, so the groups that
 * policy rules match (and the disabled flag) are today's, not those of the first look-up.
 */
import { utimesSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_USERS, writeUsersFile } from '../../support/host-harness.js';
import { makeTestKeys, type TestKeys } from '../../saml/support/test-keys.js';
import { signedResponse, validSpec } from '../../saml/bridge-attacks/support/upstream-response.js';
import { postResponse, startBridgeHost, startSignIn, type BridgeHost } from './support.js';

let upstream: TestKeys;
let h: BridgeHost;

beforeAll(async () => {
  upstream = makeTestKeys('upstream');
  h = await startBridgeHost(upstream.certPem);
}, 60_000);

afterAll(async () => {
  await h?.idp.close();
  upstream?.cleanup();
});

/** alice signs in upstream; the bridge's answer to the upstream's Response. */
async function bridgeSignIn(): Promise<Response> {
  const s = await startSignIn(h);
  const xml = await signedResponse(validSpec(h.idp.clock.now(), { nameId: 'alice@example.test' }, s.target), upstream);
  return postResponse(h, s.browser, xml, s.relayState);
}

/** Rewrites the users file with alice changed (the file directory re-reads it when its mtime moves). */
async function changeAlice(change: Record<string, unknown>): Promise<void> {
  const file = await writeUsersFile(h.idp.dir, DEFAULT_USERS.map((u) => (u.username === 'alice' ? { ...u, ...change } : u)));
  const later = new Date(Date.now() + 5_000);
  utimesSync(file, later, later);
}

const storedAlice = () => h.idp.host.api.store.db.selectFrom('users').select(['groups', 'disabled']).where('username', '=', 'alice').executeTakeFirstOrThrow();

describe('a bridge sign-in refreshes the stored user from the directory', () => {
  it('stores the groups the directory gives now, then the disabled flag, refusing the sign-in', async () => {
    expect((await bridgeSignIn()).status).toBe(303);
    expect(JSON.parse((await storedAlice()).groups ?? '[]')).toEqual([]);

    await changeAlice({ groups: ['CN=Payroll Admins,OU=Groups,DC=corp,DC=example'] });
    expect((await bridgeSignIn()).status).toBe(303);
    expect(JSON.parse((await storedAlice()).groups!)).toEqual(['CN=Payroll Admins,OU=Groups,DC=corp,DC=example']);

    await changeAlice({ disabled: true });
    const refused = await bridgeSignIn();
    expect(refused.status).toBe(403);
    expect((await storedAlice()).disabled).toBe(1);
  });
});
