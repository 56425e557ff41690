/**
 * A factorgate host with the SAML IdP adapter and the bridge in front of a test upstream whose
 * signing certificate is pinned inline, a relying party bound to it, and what an ACS test
 * needs: a sign-in started by a browser (the request id and RelayState the bridge sent
 * upstream), a Response posted back, and the store as seen before and after the post.
 */
import { inflateRawSync } from 'node:zlib';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import { samlBridgeAdapter } from '../../../adapters/saml-bridge/index.js';
import type { BridgeTables } from '../../../adapters/saml-bridge/outstanding-requests.js';
import { importUsers } from '../../../src/directory/import-users.js';
import { freePort } from '../../support/free-port.js';
import { TestBrowser } from '../../support/http-client.js';
import { IDP_ENTITY_ID, type ResponseTarget } from '../../saml/bridge-attacks/support/upstream-response.js';
import { authnRequestPath, nodeSamlSp, rpConfig, spIdentity, startIdp, type IdpHost, type TestSp } from '../saml-idp/support.js';

export const UPSTREAM_SSO_URL = 'https://upstream.example.test/sso';
export const RP_NAME = 'bridge-acs-rp';
/** The page a refused Response shows, whatever the reason. */
export const NEUTRAL_TEXT = 'The sign-in response was refused.';

export interface BridgeHost {
  idp: IdpHost;
  rp: TestSp;
  /** The URL the bridge's entity id and ACS URL are built from (shared by hosts of one cluster). */
  publicUrl: string;
}

/**
 * Starts a host whose bridge trusts `upstreamCertPem` for the upstream `corp` (users found by
 * email). `dir` and `publicUrl` make a second host of the same cluster: the same store, keys
 * and outside URL.
 */
export async function startBridgeHost(upstreamCertPem: string, opts: { dir?: string; publicUrl?: string; rp?: TestSp } = {}): Promise<BridgeHost> {
  // Another host of a cluster listens on its own port but answers to the cluster's URL.
  const port = opts.publicUrl === undefined ? undefined : await freePort();
  const idp = await startIdp(
    { relyingParties: [rpConfig(spIdentity(RP_NAME), { primary: 'upstream:corp' })] },
    {
      ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
      ...(port !== undefined ? { port, config: { server: { port, host: '127.0.0.1', publicUrl: opts.publicUrl, shutdownTimeoutSeconds: 2 } } } : {}),
      adapters: [samlBridgeAdapter as never],
      adapterConfig: {
        samlBridge: {
          upstreams: [
            {
              name: 'corp',
              entityId: IDP_ENTITY_ID,
              ssoUrl: UPSTREAM_SSO_URL,
              signingCert: upstreamCertPem,
              // The test host's clock starts 90 s behind.
              clockSkew: '5m',
              lookup: { field: 'email' },
            },
          ],
        },
      },
    },
  );
  // Users come from the directory import (as from AD), so alice@example.test is in the store.
  await importUsers({ directory: idp.host.api.directory, db: idp.host.api.store.db });
  return { idp, rp: opts.rp ?? nodeSamlSp(idp, RP_NAME), publicUrl: opts.publicUrl ?? idp.url };
}

/** A sign-in the bridge sent upstream: the browser that started it and what the Response must answer. */
export interface SignIn {
  browser: TestBrowser;
  requestId: string;
  relayState: string;
  target: ResponseTarget;
}

/** A browser (a fresh one by default) asks the RP's sign-in at `h`; the bridge answers 303 to the upstream with a signed AuthnRequest. */
export async function startSignIn(h: BridgeHost, browser = new TestBrowser(h.idp.url)): Promise<SignIn> {
  const res = await browser.get(await authnRequestPath(h.rp));
  expect(res.status).toBe(303);
  const to = new URL(res.headers.get('location')!);
  expect(to.origin + to.pathname).toBe(UPSTREAM_SSO_URL);
  expect(to.searchParams.get('Signature')).toBeTruthy();
  const request = inflateRawSync(Buffer.from(to.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  const requestId = /<samlp:AuthnRequest\b[^>]*\sID="([^"]+)"/.exec(request)?.[1];
  expect(requestId).toBeTruthy();
  const relayState = to.searchParams.get('RelayState');
  expect(relayState).toBe(requestId);
  return {
    browser,
    requestId: requestId!,
    relayState: relayState!,
    target: { spEntityId: `${h.publicUrl}/saml/bridge/metadata`, acsUrl: `${h.publicUrl}/saml/bridge/acs`, requestId: requestId! },
  };
}

/** What the upstream's form posts (base64 XML, RelayState unless `null`), from `browser`, to `h`'s ACS. */
export function postResponse(h: BridgeHost, browser: TestBrowser, xml: string, relayState: string | null): Promise<Response> {
  const fields: Record<string, string> = { SAMLResponse: Buffer.from(xml, 'utf8').toString('base64') };
  if (relayState !== null) fields.RelayState = relayState;
  return browser.post(`${h.idp.url}/saml/bridge/acs`, fields);
}

export interface AuditRow {
  id: string;
  event: string;
  result: string;
  username: string | null;
  deny_reason: string | null;
  adapter: string | null;
  relying_party: string | null;
  detail: string | null;
}

/** The store as an ACS post may change it. */
export interface StoreState {
  challenges: number;
  usedIds: number;
  auditIds: Set<string>;
}

export async function storeState(h: BridgeHost): Promise<StoreState> {
  const db = h.idp.host.api.store.db;
  const count = async (table: 'challenges' | 'used_ids') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const ids = await db.selectFrom('audit_events').select('id').execute();
  return { challenges: await count('challenges'), usedIds: await count('used_ids'), auditIds: new Set(ids.map((r) => r.id)) };
}

/** The audit records written since `before`. */
export async function auditSince(h: BridgeHost, before: StoreState): Promise<AuditRow[]> {
  const rows = (await h.idp.auditRows()) as AuditRow[];
  return rows.filter((r) => !before.auditIds.has(r.id));
}

/** Whether the bridge still holds request `id` (not answered, not consumed). */
export async function outstanding(h: BridgeHost, id: string): Promise<boolean> {
  const db = h.idp.host.api.store.db as unknown as Kysely<BridgeTables>;
  return (await db.selectFrom('saml_bridge_requests').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
/** Frames of a stack trace, or a source path, anywhere in a page. */
const STACK = /\n\s*at\s|\bat [\w.<>$]+ \(|node:internal|\/work\/|\.[cm]?[jt]s:\d+/;

export interface Refusal {
  reason: string;
  /** Default 403. */
  status?: number;
  /** The bridge request the post answers: left outstanding unless `requestConsumed`. */
  requestId?: string;
  /** The assertion id went into the replay cache (the Response passed the checks up to the replay check). Default false. */
  assertionRemembered?: boolean;
  /** The request id was consumed (the Response passed every check; refused after, at the user lookup). Default false. */
  requestConsumed?: boolean;
}

/**
 * Posts with `post` and asserts the requirement: refused with the status, a neutral page
 * that shows neither the reason, the detail nor a stack trace, no challenge begun, and exactly
 * one new audit record: upstream-response, denied, the reason. Resolves to that record.
 */
export async function expectRefused(h: BridgeHost, post: () => Promise<Response>, r: Refusal): Promise<AuditRow> {
  const before = await storeState(h);
  const res = await post();
  const html = await res.text();
  expect(res.status, html.slice(0, 400)).toBe(r.status ?? 403);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(html).toContain(NEUTRAL_TEXT);
  expect(html).not.toContain(r.reason);
  expect(html).not.toMatch(STACK);
  expect(html).not.toContain('mallory');

  const after = await storeState(h);
  expect(after.challenges, 'a challenge was begun').toBe(before.challenges);
  expect(after.usedIds, 'replay cache entries').toBe(before.usedIds + (r.assertionRemembered ? 1 : 0));
  const added = await auditSince(h, before);
  expect(added, JSON.stringify(added)).toHaveLength(1);
  const row = added[0]!;
  expect(row).toMatchObject({ event: 'upstream-response', result: 'denied', deny_reason: r.reason, adapter: 'saml-bridge' });
  const detail = (row.detail ?? '').replace(/^upstream corp: /, '');
  expect(detail).not.toBe('');
  expect(html).not.toContain(detail);
  expect(html).not.toContain(escapeHtml(detail));
  if (r.requestId !== undefined) expect(await outstanding(h, r.requestId), 'the bridge request outstanding').toBe(!r.requestConsumed);
  return row;
}
