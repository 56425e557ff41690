/**
 * The bridge's copy of its upstream IdP's metadata, fetched from real HTTP servers on loopback
 * that roll certificates over, fail, stall, answer garbage or change identity; and from a real
 * pysaml2 IdP's /metadata endpoint.
 */
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MetadataSource, type MetadataSourceOptions } from '../../../adapters/saml-bridge/metadata-source.js';
import { MetadataError } from '../../../adapters/saml-bridge/upstream-metadata.js';
import { captureLog, type CapturedLog } from '../../delivery/support/capture-log.js';
import { ADFS_ENTITY_ID, ADFS_METADATA, entitiesXml, idpMetadataXml } from '../../fixtures/saml-bridge/idp-metadata.js';
import { freePort } from '../../support/free-port.js';
import { startPysaml2Idp } from '../../support/pysaml2-idp.js';
import { makeTestKeys, type TestKeys } from '../../saml/support/test-keys.js';
import { signMetadata } from '../../fixtures/saml-bridge/sign-metadata.js';

const ENTITY_ID = 'https://idp.example.org/metadata';

/** What the metadata server does with the next request. */
interface Reply {
  status?: number;
  body?: string;
  /** Send the length header (default) or stream the body chunked. */
  contentLength?: boolean;
  /** Never answer at all, or send the headers and half the body and then stop. */
  stall?: 'before-headers' | 'mid-body';
}

interface MetadataServer {
  url: string;
  hits: number;
  /** The reply to every request from now on. */
  serve(reply: Reply): void;
  /** Replies for the next requests, before the standing one. */
  queue(...replies: Reply[]): void;
  close(): Promise<void>;
}

async function startMetadataServer(initial: Reply): Promise<MetadataServer> {
  let standing = initial;
  const queued: Reply[] = [];
  const server: Server = createServer((_req, res) => {
    state.hits++;
    const reply = queued.shift() ?? standing;
    const body = Buffer.from(reply.body ?? '', 'utf8');
    if (reply.stall === 'before-headers') return;
    const headers: Record<string, string | number> = { 'content-type': 'application/samlmetadata+xml' };
    if (reply.contentLength !== false) headers['content-length'] = body.length;
    res.writeHead(reply.status ?? 200, headers);
    if (reply.stall === 'mid-body') {
      res.write(body.subarray(0, body.length >> 1));
      return;
    }
    if (reply.contentLength === false) {
      // Chunked, in small pieces: a size cap must not rely on the length header.
      for (let i = 0; i < body.length; i += 1024) res.write(body.subarray(i, i + 1024));
      res.end();
    } else res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: MetadataServer = {
    url: `http://127.0.0.1:${port}/FederationMetadata/2007-06/FederationMetadata.xml`,
    hits: 0,
    serve: (reply) => {
      standing = reply;
    },
    queue: (...replies) => void queued.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

let first: TestKeys;
let second: TestKeys;
/** The key that signs the metadata documents (metadataSignerCert): plain http is refused without one. */
let signer: TestKeys;
let metadataV1: string;
let metadataV2: string;
let metadataEvil: string;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  first = makeTestKeys('idp-signing-current');
  second = makeTestKeys('idp-signing-next');
  signer = makeTestKeys('idp-metadata-signer');
  metadataV1 = await signMetadata(idpMetadataXml({ entityId: ENTITY_ID, keys: [{ pem: first.certPem, use: 'signing' }] }), signer);
  metadataV2 = await signMetadata(idpMetadataXml({ entityId: ENTITY_ID, keys: [{ pem: first.certPem, use: 'signing' }, { pem: second.certPem, use: 'signing' }] }), signer);
  metadataEvil = await signMetadata(idpMetadataXml({ entityId: 'https://evil.example.net/metadata', keys: [{ pem: second.certPem }] }), signer);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(() => {
  for (const k of [first, second, signer]) k?.cleanup();
});

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

async function serverWith(reply: Reply): Promise<MetadataServer> {
  const server = await startMetadataServer(reply);
  cleanups.push(() => server.close());
  return server;
}

/** A source; a URL source pins `signer` unless the options say otherwise (plain http needs a signer). */
function sourceFor(options: Partial<MetadataSourceOptions>, log: CapturedLog = captureLog()): { source: MetadataSource; log: CapturedLog } {
  const signers = options.url !== undefined ? { signerCertificates: [signer.certPem] } : {};
  const source = new MetadataSource({ name: 'corp-adfs', refreshMs: 3_600_000, logger: log.logger, ...signers, ...options });
  cleanups.push(() => source.close());
  return { source, log };
}

const warnings = (log: CapturedLog) => log.lines.filter((l) => l.level === 40);
const infos = (log: CapturedLog) => log.lines.filter((l) => l.level === 30);

/** A source that has loaded metadataV1 from a fresh server. */
async function loadedSource(options: Partial<MetadataSourceOptions> = {}) {
  const server = await serverWith({ body: metadataV1 });
  const { source, log } = sourceFor({ url: server.url, ...options });
  await source.start();
  expect(source.current()?.entityId).toBe(ENTITY_ID);
  return { server, source, log };
}

function expectKeptAfterFailure(source: MetadataSource, log: CapturedLog, reason: string | RegExp) {
  expect(source.current()?.signingCertificates).toEqual([new X509Certificate(first.certPem).toString()]);
  const [warning, ...more] = warnings(log);
  expect(more).toEqual([]);
  expect(warning).toMatchObject({ upstream: 'corp-adfs', msg: 'SAML upstream metadata refresh failed; keeping the last good copy' });
  if (typeof reason === 'string') expect(warning?.reason).toBe(reason);
  else expect(warning?.reason).toMatch(reason);
}

describe('fetching from a URL', () => {
  it('loads the first copy on start and logs its signing certificates', async () => {
    const { source, log } = await loadedSource();
    await expect(source.ready()).resolves.toBeUndefined();
    expect(source.current()).toMatchObject({ sso: { redirect: 'https://idp.example.org/sso' }, wantAuthnRequestsSigned: false });
    expect(infos(log)).toEqual([
      expect.objectContaining({ upstream: 'corp-adfs', entityId: ENTITY_ID, fingerprints: [fingerprint(first.certPem)], msg: 'SAML upstream metadata loaded' }),
    ]);
  });

  it('picks up a certificate rollover on refresh and logs both sets of fingerprints', async () => {
    const { server, source, log } = await loadedSource();
    server.serve({ body: metadataV2 });
    await expect(source.refresh()).resolves.toBe(true);
    expect(source.current()?.signingCertificates.map(fingerprint)).toEqual([fingerprint(first.certPem), fingerprint(second.certPem)]);
    expect(infos(log).at(-1)).toMatchObject({
      upstream: 'corp-adfs',
      msg: 'SAML upstream signing certificates changed',
      fingerprints: [fingerprint(first.certPem), fingerprint(second.certPem)],
      previousFingerprints: [fingerprint(first.certPem)],
    });
    // The same certificates again: nothing worth an info line.
    await expect(source.refresh()).resolves.toBe(true);
    expect(infos(log)).toHaveLength(2);
    expect(warnings(log)).toEqual([]);
  });

  it('keeps the last good copy when the server answers 500, and never logs the body', async () => {
    const { server, source, log } = await loadedSource();
    server.serve({ status: 500, body: 'stack trace with secret-db-password' });
    await expect(source.refresh()).resolves.toBe(false);
    expectKeptAfterFailure(source, log, 'the metadata URL answered HTTP 500');
    expect(log.text()).not.toContain('secret-db-password');
    await expect(source.ready()).resolves.toBeUndefined();
  });

  it('keeps the last good copy when the server does not answer in time', async () => {
    const { server, source, log } = await loadedSource({ fetchTimeoutMs: 300 });
    server.serve({ stall: 'before-headers' });
    await expect(source.refresh()).resolves.toBe(false);
    server.serve({ body: metadataV2, stall: 'mid-body' });
    await expect(source.refresh()).resolves.toBe(false);
    expect(source.current()?.signingCertificates).toHaveLength(1);
    expect(warnings(log).map((w) => w.reason)).toEqual([
      'the metadata URL gave no complete answer within 300 ms',
      'the metadata URL gave no complete answer within 300 ms',
    ]);
  });

  it('keeps the last good copy when the server answers garbage', async () => {
    const { server, source, log } = await loadedSource();
    server.serve({ body: 'Service Unavailable: garbage-marker-7f3a' });
    await expect(source.refresh()).resolves.toBe(false);
    expectKeptAfterFailure(source, log, /^the IdP metadata is refused: the file is not XML/);
    expect(log.text()).not.toContain('garbage-marker-7f3a');
  });

  it('keeps the last good copy when a refreshed copy names another entity', async () => {
    const { server, source, log } = await loadedSource();
    server.serve({ body: metadataEvil });
    await expect(source.refresh()).resolves.toBe(false);
    expectKeptAfterFailure(source, log, 'the IdP metadata describes "https://evil.example.net/metadata", not the expected "https://idp.example.org/metadata"');
  });

  it('refuses a first copy that is not the expected entity', async () => {
    const server = await serverWith({ body: metadataV1 });
    const { source, log } = sourceFor({ url: server.url, expectedEntityId: 'https://other-idp.example.org' });
    await source.start();
    expect(source.current()).toBeNull();
    expect(warnings(log)[0]).toMatchObject({ msg: 'SAML upstream metadata could not be loaded; retrying', reason: expect.stringContaining('not the expected "https://other-idp.example.org"') });
    await expect(source.ready()).rejects.toThrow(/^SAML upstream "corp-adfs": IdP metadata not loaded: the IdP metadata describes/);
  });

  it('refuses a body over maxBytes, with or without a length header', async () => {
    const { server, source, log } = await loadedSource({ maxBytes: metadataV1.length + 100 });
    server.serve({ body: metadataV2 });
    await expect(source.refresh()).resolves.toBe(false);
    server.serve({ body: metadataV2, contentLength: false });
    await expect(source.refresh()).resolves.toBe(false);
    expect(warnings(log).map((w) => w.reason)).toEqual([
      `the metadata is ${Buffer.byteLength(metadataV2)} bytes, more than the ${metadataV1.length + 100} accepted`,
      `the metadata is more than the ${metadataV1.length + 100} bytes accepted`,
    ]);
    expect(source.current()?.signingCertificates).toHaveLength(1);
  });

  it('shares one fetch between refreshes asked for at the same time', async () => {
    const { server, source } = await loadedSource();
    const before = server.hits;
    await expect(Promise.all([source.refresh(), source.refresh(), source.refresh()])).resolves.toEqual([true, true, true]);
    expect(server.hits - before).toBe(1);
  });
});

describe('start and readiness', () => {
  it('does not throw when the first fetch fails, and loads on a background retry', async () => {
    const server = await serverWith({ body: metadataV1 });
    server.queue({ status: 503, body: 'starting up' }, { status: 503, body: 'starting up' });
    const { source, log } = sourceFor({ url: server.url, refreshMs: 100 });
    await expect(source.start()).resolves.toBeUndefined();
    expect(source.current()).toBeNull();
    await expect(source.ready()).rejects.toThrow('SAML upstream "corp-adfs": IdP metadata not loaded: the metadata URL answered HTTP 503');
    await vi.waitFor(() => expect(source.current()?.entityId).toBe(ENTITY_ID), { timeout: 5_000, interval: 20 });
    await expect(source.ready()).resolves.toBeUndefined();
    expect(warnings(log).slice(0, 2)).toEqual([
      expect.objectContaining({ upstream: 'corp-adfs', msg: 'SAML upstream metadata could not be loaded; retrying', reason: 'the metadata URL answered HTTP 503' }),
      expect.objectContaining({ reason: 'the metadata URL answered HTTP 503' }),
    ]);
  });

  it('does not throw when nothing listens at the URL', async () => {
    const port = await freePort();
    const { source, log } = sourceFor({ url: `http://127.0.0.1:${port}/metadata` });
    await source.start();
    expect(source.current()).toBeNull();
    expect(warnings(log)[0]?.reason).toBe('the metadata URL could not be fetched (ECONNREFUSED)');
    await expect(source.ready()).rejects.toThrow(/corp-adfs/);
  });

  it('keeps refreshing on its timer, and stops when closed', async () => {
    const { server, source } = await loadedSource({ refreshMs: 50 });
    server.serve({ body: metadataV2 });
    await vi.waitFor(() => expect(source.current()?.signingCertificates).toHaveLength(2), { timeout: 5_000, interval: 20 });
    source.close();
    const hits = server.hits;
    await sleep(250);
    expect(server.hits).toBe(hits);
  });

  it('says it is not ready before the first attempt', async () => {
    const { source } = sourceFor({ url: 'https://idp.example.org/metadata' });
    await expect(source.ready()).rejects.toThrow('SAML upstream "corp-adfs": IdP metadata not loaded yet');
  });
});

describe('inline metadata', () => {
  it('parses on start, with nothing to fetch', async () => {
    const { source, log } = sourceFor({ xml: ADFS_METADATA, expectedEntityId: ADFS_ENTITY_ID });
    await source.start();
    expect(source.current()?.entityId).toBe(ADFS_ENTITY_ID);
    expect(source.current()?.signingCertificates).toHaveLength(2);
    await expect(source.ready()).resolves.toBeUndefined();
    await expect(source.refresh()).resolves.toBe(true);
    expect(infos(log)).toHaveLength(1);
  });

  it('throws a MetadataError on start when the XML is invalid: a configuration error', async () => {
    const { source } = sourceFor({ xml: idpMetadataXml({ keys: [] }) });
    await expect(source.start()).rejects.toThrow(MetadataError);
    await expect(source.start()).rejects.toThrow('has no signing certificate');
    expect(source.current()).toBeNull();
  });

  it('checks the signature of inline metadata too when a signer is pinned: refused at start when it is missing', async () => {
    const signed = sourceFor({ xml: metadataV1, signerCertificates: [signer.certPem] });
    await signed.source.start();
    expect(signed.source.current()?.entityId).toBe(ENTITY_ID);
    const unsigned = sourceFor({ xml: idpMetadataXml({ entityId: ENTITY_ID, keys: [{ pem: first.certPem, use: 'signing' }] }), signerCertificates: [signer.certPem] });
    await expect(unsigned.source.start()).rejects.toThrow('the IdP metadata is not signed, but metadataSignerCert requires a signature by the pinned signer');
    const otherSigner = sourceFor({ xml: metadataV1, signerCertificates: [second.certPem] });
    await expect(otherSigner.source.start()).rejects.toThrow(/does not verify with metadataSignerCert/);
  });

  it('refuses options that cannot work, naming the upstream and every problem', () => {
    const log = captureLog();
    const make = (options: Partial<MetadataSourceOptions>) => () => new MetadataSource({ name: 'corp-adfs', refreshMs: 60_000, logger: log.logger, ...options });
    expect(make({ xml: metadataV1, url: 'https://idp.example.org/metadata' })).toThrow(
      'SAML upstream "corp-adfs": give exactly one of the metadata XML and the metadata URL',
    );
    expect(make({})).toThrow(MetadataError);
    expect(make({ url: 'file:///etc/passwd', refreshMs: 0 })).toThrow(
      'SAML upstream "corp-adfs": the metadata URL must be http or https, not file:; refreshMs must be a whole number from 1 to 2147483647, not 0',
    );
    expect(make({ url: 'https://idp.example.org/metadata', maxBytes: 64 * 1024 * 1024 })).toThrow(/maxBytes must be a whole number from 1 to 4194304/);
    expect(make({ url: 'http://idp.example.org/metadata' })).toThrow(
      'SAML upstream "corp-adfs": a plain http metadata URL is refused unless the document is signed and metadataSignerCert pins its signer; use https',
    );
    expect(make({ url: 'http://idp.example.org/metadata', signerCertificates: [] })).toThrow(/plain http metadata URL is refused/);
  });
});

describe('a real pysaml2 IdP', () => {
  it('fetches the metadata pysaml2 signs with its own key, verified against the pinned signer', async () => {
    const keys = makeTestKeys('pysaml2-metadata');
    cleanups.push(() => keys.cleanup());
    const idp = await startPysaml2Idp({
      keyPath: keys.keyPath,
      certPath: keys.certPath,
      user: { nameId: { value: 'alice', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' }, attributes: {} },
      spEntityId: 'https://factorgate.example.com/saml-bridge/metadata',
      spAcs: 'https://factorgate.example.com/saml-bridge/acs',
    });
    cleanups.push(() => idp.stop());
    const { source, log } = sourceFor({ url: idp.signedMetadataUrl, expectedEntityId: idp.entityId, signerCertificates: [idp.certPem] });
    await source.start();
    expect(warnings(log)).toEqual([]);
    expect(source.current()).toEqual({
      entityId: idp.entityId,
      sso: { redirect: idp.ssoUrl },
      signingCertificates: [new X509Certificate(idp.certPem).toString()],
      wantAuthnRequestsSigned: false,
    });
    // pysaml2's unsigned copy of the same document is refused with its signer pinned.
    const unsigned = sourceFor({ url: idp.metadataUrl, expectedEntityId: idp.entityId, signerCertificates: [idp.certPem] });
    await unsigned.source.start();
    expect(unsigned.source.current()).toBeNull();
    expect(warnings(unsigned.log)[0]?.reason).toMatch(/not signed/);
  });
});

describe('metadata that cannot be swapped', () => {
  it('keeps the last good copy when a refreshed copy was changed after signing (a swapped certificate)', async () => {
    const { server, source, log } = await loadedSource();
    // The attacker's certificate in place of the IdP's, the signature left as it was.
    const firstBody = first.certPem.replace(/-----[^-]+-----|\s/g, '');
    const secondBody = second.certPem.replace(/-----[^-]+-----|\s/g, '');
    const swapped = metadataV1.replace(firstBody.slice(0, 200), secondBody.slice(0, 200));
    expect(swapped).not.toBe(metadataV1);
    server.serve({ body: swapped });
    await expect(source.refresh()).resolves.toBe(false);
    expectKeptAfterFailure(source, log, /does not verify with metadataSignerCert/);
  });

  it('keeps the last good copy when a refreshed copy is unsigned, or signed by another key that KeyInfo carries', async () => {
    const { server, source, log } = await loadedSource();
    server.serve({ body: idpMetadataXml({ entityId: ENTITY_ID, keys: [{ pem: second.certPem, use: 'signing' }] }) });
    await expect(source.refresh()).resolves.toBe(false);
    server.serve({ body: await signMetadata(idpMetadataXml({ entityId: ENTITY_ID, keys: [{ pem: second.certPem, use: 'signing' }] }), second) });
    await expect(source.refresh()).resolves.toBe(false);
    expect(source.current()?.signingCertificates).toEqual([new X509Certificate(first.certPem).toString()]);
    expect(warnings(log).map((w) => w.reason)).toEqual([
      'the IdP metadata is not signed, but metadataSignerCert requires a signature by the pinned signer',
      expect.stringMatching(/^the IdP metadata signature does not verify with metadataSignerCert \(SIGNATURE_INVALID\): no pinned certificate verifies/),
    ]);
  });

  it('refuses the signed document wrapped inside an unsigned one, and a signature that references another element', async () => {
    const { server, source, log } = await loadedSource();
    const signedInner = metadataV1.replace(/^<\?xml[^>]*>\s*/, '');
    const evilEntity = idpMetadataXml({ entityId: ENTITY_ID, keys: [{ pem: second.certPem, use: 'signing' }] }).replace(/^<\?xml[^>]*>\s*/, '');
    server.serve({ body: entitiesXml([evilEntity, signedInner]) });
    await expect(source.refresh()).resolves.toBe(false);
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(metadataV1)![0];
    const lent = evilEntity.replace(/(<md:EntityDescriptor[^>]*)>/, `$1 ID="_evil">${signature}`);
    server.serve({ body: lent });
    await expect(source.refresh()).resolves.toBe(false);
    expect(source.current()?.signingCertificates).toEqual([new X509Certificate(first.certPem).toString()]);
    expect(warnings(log).map((w) => w.reason)).toEqual([
      'the IdP metadata is not signed, but metadataSignerCert requires a signature by the pinned signer',
      expect.stringMatching(/^the IdP metadata signature is refused \(WRAPPING\): .*references #_metadata-/),
    ]);
  });

  it('tells its listener when the signing certificates change, once, with both sets of fingerprints', async () => {
    const changes: unknown[] = [];
    const { server, source } = await loadedSource({ onCertificatesChanged: (change) => void changes.push(change) });
    expect(changes).toEqual([]);
    server.serve({ body: metadataV2 });
    await expect(source.refresh()).resolves.toBe(true);
    await expect(source.refresh()).resolves.toBe(true);
    await vi.waitFor(() => expect(changes).toHaveLength(1));
    expect(changes[0]).toEqual({ upstream: 'corp-adfs', entityId: ENTITY_ID, previousFingerprints: [fingerprint(first.certPem)], fingerprints: [fingerprint(first.certPem), fingerprint(second.certPem)] });
  });

  it('verifies the https server certificate: one this process does not trust is refused', async () => {
    const tls = makeTestKeys('127.0.0.1');
    cleanups.push(() => tls.cleanup());
    const server = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => void res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(metadataV1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { source, log } = sourceFor({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`, signerCertificates: [] });
    await source.start();
    expect(source.current()).toBeNull();
    expect(warnings(log)[0]?.reason).toMatch(/^the metadata URL could not be fetched \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|ERR_TLS_CERT_ALTNAME_INVALID)\)$/);
  });
});
