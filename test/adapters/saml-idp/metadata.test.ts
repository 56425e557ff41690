/**
 * Metadata both ways. Relying parties from SP metadata that node-saml generated, given as a
 * file or fetched from a URL (served by a local HTTP server here) and refreshed on a schedule,
 * the last good copy kept when a refresh fails. Our own metadata: endpoints, and both
 * certificates during a signing-key rollover, read by pysaml2's metadata store.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { generateSelfSigned } from '../../../src/host/bootstrap/signing-keys.js';
import { RelyingPartyRegistry } from '../../../adapters/saml-idp/relying-parties.js';
import { relyingPartySchema } from '../../../adapters/saml-idp/config.js';
import { TestBrowser } from '../../support/http-client.js';
import { makeTempDir } from '../../support/host-harness.js';
import { authnRequestPath, authnRequestXml, nodeSamlSp, redirectQuery, spIdentity, startIdp, type IdpHost } from './support.js';

const run = promisify(execFile);
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** SP metadata as node-saml writes it, with its signing certificate. */
function spMetadata(idp: IdpHost | null, name: string, acs?: string): string {
  const id = spIdentity(name);
  const sp = nodeSamlSp(idp ?? ({ base: 'https://idp.invalid/saml/idp', entityId: 'https://idp.invalid', idpCertPem: id.keys.certPem } as IdpHost), name, { signed: true });
  if (acs) sp.saml.options.callbackUrl = acs;
  return sp.saml.generateServiceProviderMetadata(null, id.keys.certPem);
}

async function metadataServer(): Promise<{ url: string; set(status: number, body: string): void }> {
  let status = 200;
  let body = '';
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/samlmetadata+xml' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`,
    set(s, b) {
      status = s;
      body = b;
    },
  };
}

describe('relying parties from metadata', () => {
  it('a metadata URL is refreshed; a failed refresh keeps the last good copy; a good one replaces it', async () => {
    const server = await metadataServer();
    const name = 'meta-url';
    const first = spIdentity(name).acs;
    server.set(200, spMetadata(null, name));
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const registry = new RelyingPartyRegistry([relyingPartySchema.parse({ name, metadataUrl: server.url })], { clock: new ManualClock(), logger });
    await registry.start();
    cleanup.push(async () => registry.close());
    const rp = registry.byEntityId(spIdentity(name).entityId)!;
    expect(rp.acs.map((a) => a.url)).toEqual([first]);
    expect(rp.requireSignedRequests).toBe(true);
    expect(rp.signingCerts).toHaveLength(1);

    server.set(503, 'down for maintenance');
    expect(await registry.refresh(name)).toBe(false);
    expect(registry.byName(name)!.acs[0]!.url).toBe(first);
    server.set(200, '<not-metadata');
    expect(await registry.refresh(name)).toBe(false);
    expect(registry.byName(name)!.acs[0]!.url).toBe(first);
    expect(lines.join('\n')).toContain('keeping the last good copy');

    server.set(200, spMetadata(null, name, 'https://meta-url.example.test/acs-v2'));
    expect(await registry.refresh(name)).toBe(true);
    expect(registry.byName(name)!.acs[0]!.url).toBe('https://meta-url.example.test/acs-v2');
  });

  it('through the host: an RP from a metadata URL signs in; one whose URL never answered is named as not loaded', async () => {
    const server = await metadataServer();
    const name = 'meta-host';
    const down = 'meta-down';
    server.set(200, spMetadata(null, name));
    const idp = await startIdp({
      relyingParties: [
        { name, metadataUrl: server.url, metadataRefresh: '1h' },
        { name: down, entityId: spIdentity(down).entityId, metadataUrl: 'http://127.0.0.1:9/metadata' },
      ],
    });
    cleanup.push(() => idp.close());
    const res = await new TestBrowser(idp.url).get(await authnRequestPath(nodeSamlSp(idp, name, { signed: true })));
    expect(res.status).toBe(303);
    // Its metadata says AuthnRequestsSigned, so an unsigned request is refused.
    const unsigned = await new TestBrowser(idp.url).get(`/saml/idp/sso?${redirectQuery(authnRequestXml({ issuer: spIdentity(name).entityId, instant: idp.clock.now() }))}`);
    expect(await unsigned.text()).toContain('must sign its requests');
    const pending = await new TestBrowser(idp.url).get(`/saml/idp/sso?${redirectQuery(authnRequestXml({ issuer: spIdentity(down).entityId, instant: idp.clock.now() }))}`);
    expect(pending.status).toBe(400);
    expect(await pending.text()).toContain('its metadata could not be loaded yet');
  });

  it('metadataFile is read by the configuration loader', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'sp.xml');
    writeFileSync(file, spMetadata(null, 'meta-file'));
    const idp = await startIdp({ relyingParties: [{ name: 'meta-file', metadataFile: file }] });
    cleanup.push(() => idp.close());
    const res = await new TestBrowser(idp.url).get(await authnRequestPath(nodeSamlSp(idp, 'meta-file', { signed: true })));
    expect(res.status).toBe(303);
  });
});

describe('our IdP metadata', () => {
  it('publishes both certificates during a key rollover, SSO and SLO for both bindings; pysaml2 loads it', async () => {
    const dir = makeTempDir();
    const next = generateSelfSigned('factorgate next', dir);
    const old = generateSelfSigned('factorgate old', dir);
    const idp = await startIdp({ relyingParties: [] }, { config: { signing: { keys: [{ cert: next.certPem, key: next.keyPem }, { cert: old.certPem }] } } });
    cleanup.push(() => idp.close());
    const res = await new TestBrowser(idp.url).get('/saml/idp/metadata');
    expect(res.headers.get('content-type')).toContain('application/samlmetadata+xml');
    const xml = await res.text();
    expect(xml.match(/<md:KeyDescriptor use="signing">/g)).toHaveLength(2);
    expect(xml.indexOf(idp.host.api.keys.published[0]!.certificateBase64)).toBeLessThan(xml.indexOf(idp.host.api.keys.published[1]!.certificateBase64));
    expect(idp.host.api.keys.current.certificatePem).toBe(idp.host.api.keys.published[0]!.certificatePem);
    const file = join(dir, 'idp-metadata.xml');
    writeFileSync(file, xml);
    const script = [
      'import sys, json',
      'from saml2.mdstore import MetadataStore',
      'from saml2 import config, attribute_converter',
      'md = MetadataStore(attribute_converter.ac_factory(), config.Config())',
      'md.load("local", sys.argv[1])',
      'eid = list(md.keys())[0]',
      'print(json.dumps({"entity": eid, "sso": [s["location"] for s in md.single_sign_on_service(eid)], "certs": len(md.certs(eid, "idpsso", "signing"))}))',
    ].join('\n');
    const { stdout } = await run('/usr/bin/python3', ['-c', script, file]);
    const seen = JSON.parse(stdout) as { entity: string; sso: string[]; certs: number };
    expect(seen).toEqual({ entity: idp.entityId, sso: [`${idp.base}/sso`], certs: 2 });
  });
});
