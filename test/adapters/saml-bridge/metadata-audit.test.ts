/**
 * A running host with the bridge fetching signed upstream metadata over plain http (allowed only
 * because metadataSignerCert pins the signer): a swapped copy is refused and the last good one
 * kept, and a genuine certificate rollover is audited with both sets of fingerprints.
 */
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { samlBridgeAdapter } from '../../../adapters/saml-bridge/index.js';
import { idpMetadataXml } from '../../fixtures/saml-bridge/idp-metadata.js';
import { signMetadata } from '../../fixtures/saml-bridge/sign-metadata.js';
import { makeTestKeys, type TestKeys } from '../../saml/support/test-keys.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';

const ENTITY_ID = 'https://adfs.corp.example/adfs/services/trust';
let current: TestKeys;
let next: TestKeys;
let signer: TestKeys;
let body = '';
let hits = 0;
const server = createServer((_req, res) => {
  hits++;
  res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(body);
});
let h: RunningHost;

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const metadataWith = (...keys: TestKeys[]) => idpMetadataXml({ entityId: ENTITY_ID, keys: keys.map((k) => ({ pem: k.certPem, use: 'signing' as const })) });
const auditRows = () => h.host.api.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'upstream-metadata').execute();

beforeAll(async () => {
  current = makeTestKeys('adfs-token-signing');
  next = makeTestKeys('adfs-token-signing-next');
  signer = makeTestKeys('adfs-metadata-signer');
  body = await signMetadata(metadataWith(current), signer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/FederationMetadata/2007-06/FederationMetadata.xml`;
  h = await startHost({
    adapters: [samlBridgeAdapter as never],
    config: { adapters: { samlBridge: { upstreams: [{ name: 'adfs', metadataUrl: url, metadataSignerCert: signer.certPem, metadataRefresh: '1s' }] } } },
  });
});

afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const k of [current, next, signer]) k?.cleanup();
});

describe('upstream metadata on a running host', () => {
  it('keeps the last good copy when a copy with a swapped certificate arrives, and audits a genuine rollover', async () => {
    expect(await auditRows()).toEqual([]);
    // An attacker on the path swaps in their own certificate; the signature no longer verifies.
    const swapped = body.replace(current.certPem.replace(/-----[^-]+-----|\s/g, '').slice(0, 120), next.certPem.replace(/-----[^-]+-----|\s/g, '').slice(0, 120));
    expect(swapped).not.toBe(body);
    body = swapped;
    const before = hits;
    await vi.waitFor(() => expect(hits).toBeGreaterThan(before + 1), { timeout: 6_000, interval: 100 });
    expect(h.logs.some((l) => l.includes('SAML upstream metadata refresh failed; keeping the last good copy') && l.includes('does not verify with metadataSignerCert'))).toBe(true);
    expect(await auditRows()).toEqual([]);

    // The IdP publishes its next certificate beside the current one, signed by the real signer.
    body = await signMetadata(metadataWith(current, next), signer);
    await vi.waitFor(async () => expect(await auditRows()).toHaveLength(1), { timeout: 6_000, interval: 100 });
    const [row] = await auditRows();
    expect(row).toMatchObject({ result: 'info', adapter: 'saml-bridge' });
    expect(row?.detail).toBe(
      `upstream adfs (${ENTITY_ID}): signing certificates changed from ${fingerprint(current.certPem)} to ${fingerprint(current.certPem)}, ${fingerprint(next.certPem)}`,
    );
    // Further refreshes of the same document change nothing and add no record.
    await sleep(1_500);
    expect(await auditRows()).toHaveLength(1);
  });
});
