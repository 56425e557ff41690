/**
 * What the bridge needs to be set up right: its configuration errors name the key, a relying
 * party naming a primary provider nobody registered stops the start, and pinned certificates
 * given as one PEM bundle are all kept (key rollover).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { samlBridgeAdapter, samlBridgeConfigSchema } from '../../../adapters/saml-bridge/index.js';
import { Upstream, splitPemBundle } from '../../../adapters/saml-bridge/upstream.js';
import { samlIdpAdapter } from '../../../adapters/saml-idp/index.js';
import { ConfigError } from '../../../src/host/config/load.js';
import { startHost } from '../../support/host-harness.js';
import { makeTestKeys } from '../../saml/support/test-keys.js';

const silent = pino({ level: 'silent' });

describe('saml-bridge configuration', () => {
  it('needs metadata, or entityId + ssoUrl + signingCert, and not two metadata sources', () => {
    const none = samlBridgeConfigSchema.safeParse({ upstreams: [{ name: 'corp' }] });
    expect(none.success).toBe(false);
    const paths = none.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['upstreams.0.entityId', 'upstreams.0.ssoUrl', 'upstreams.0.signingCert']));
    const both = samlBridgeConfigSchema.safeParse({ upstreams: [{ name: 'corp', metadata: '<x/>', metadataUrl: 'https://idp.example.test/md' }] });
    expect(both.error?.issues.map((i) => i.path.join('.'))).toContain('upstreams.0.metadataUrl');
    const dup = samlBridgeConfigSchema.safeParse({ upstreams: [{ name: 'a', metadata: '<x/>' }, { name: 'a', metadata: '<x/>' }] });
    expect(dup.error?.issues.map((i) => i.message)).toContain('duplicate upstream name a');
    expect(samlBridgeConfigSchema.safeParse({ upstreams: [] }).success).toBe(false);
    const tooLong = samlBridgeConfigSchema.safeParse({ upstreams: [{ name: 'corp', metadataUrl: 'https://idp.example.test/md', metadataRefresh: '30d' }] });
    expect(tooLong.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContain('upstreams.0.metadataRefresh: expected between 1s and 24d');
  });

  it('refuses a plain http metadataUrl unless the signer of the metadata is pinned', () => {
    const issues = (upstream: Record<string, unknown>) =>
      samlBridgeConfigSchema.safeParse({ upstreams: [{ name: 'corp', ...upstream }] }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ metadataUrl: 'http://idp.example.test/md' })).toEqual([
      'upstreams.0.metadataUrl: plain http is refused for metadata: use https (the server certificate is verified), or sign the metadata and set metadataSignerCert',
    ]);
    expect(issues({ metadataUrl: 'HTTP://idp.example.test/md' })).toHaveLength(1);
    expect(issues({ metadataUrl: 'http://idp.example.test/md', metadataSignerCert: 'PEM' })).toEqual([]);
    expect(issues({ metadataUrl: 'https://idp.example.test/md' })).toEqual([]);
    expect(issues({ entityId: 'x', ssoUrl: 'https://idp.example.test/sso', signingCert: 'PEM', metadataSignerCert: 'PEM' })).toEqual([
      'upstreams.0.metadataSignerCert: needs metadata, metadataFile or metadataUrl to check',
    ]);
  });

  it('names metadataSignerCert when it holds no usable certificate', () => {
    const weak = samlBridgeConfigSchema.parse({ upstreams: [{ name: 'corp', metadataUrl: 'http://idp.example.test/md', metadataSignerCert: 'no certificate here' }] });
    expect(() => new Upstream(weak.upstreams[0]!, 0, silent)).toThrow('adapters.samlBridge.upstreams[0].metadataSignerCert: no PEM certificate found');
  });

  it('keeps every certificate of a pinned PEM bundle, and refuses a bundle with none or a weak key', () => {
    const a = makeTestKeys('rollover-old');
    const b = makeTestKeys('rollover-new');
    try {
      const bundle = `${a.certPem}\n${b.certPem}`;
      expect(splitPemBundle(bundle)).toHaveLength(2);
      const base = samlBridgeConfigSchema.parse({ upstreams: [{ name: 'corp', entityId: 'https://idp.example.test', ssoUrl: 'https://idp.example.test/sso', signingCert: bundle }] });
      const upstream = new Upstream(base.upstreams[0]!, 0, silent);
      expect(upstream.resolve().certificates).toHaveLength(2);
      const garbage = samlBridgeConfigSchema.parse({ upstreams: [{ name: 'corp', entityId: 'x', ssoUrl: 'https://idp.example.test/sso', signingCert: 'not a certificate' }] });
      expect(() => new Upstream(garbage.upstreams[0]!, 0, silent)).toThrow(/adapters\.samlBridge\.upstreams\[0\]\.signingCert: no PEM certificate/);
      const weakDir = mkdtempSync(join(tmpdir(), 'fg-weak-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-days', '2', '-subj', '/CN=weak', '-keyout', join(weakDir, 'k.pem'), '-out', join(weakDir, 'c.pem')], { stdio: 'pipe' });
      const weak = samlBridgeConfigSchema.parse({ upstreams: [{ name: 'corp', entityId: 'x', ssoUrl: 'https://idp.example.test/sso', signingCert: `${a.certPem}${readFileSync(join(weakDir, 'c.pem'), 'utf8')}` }] });
      rmSync(weakDir, { recursive: true, force: true });
      expect(() => new Upstream(weak.upstreams[0]!, 0, silent)).toThrow(/signingCert: .*certificate 1 is not an RSA key of at least 2048 bits/);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  it('a relying party bound to an upstream nobody configured stops the start, naming the key', async () => {
    const failure = await startHost({
      adapters: [samlIdpAdapter as never, samlBridgeAdapter as never],
      config: {
        adapters: {
          samlIdp: { relyingParties: [{ name: 'wiki', entityId: 'https://wiki.example.test', acs: [{ url: 'https://wiki.example.test/acs' }], primary: 'upstream:nope' }] },
        },
      },
    }).then(
      (h) => h.close().then(() => null),
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems.join('\n')).toMatch(/factorgate\.yaml: adapters\.samlIdp\.relyingParties\[0\]\.primary: no primary provider "upstream:nope" \(available: password\)/);
  });
});
