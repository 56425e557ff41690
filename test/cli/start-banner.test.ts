/**
 * The start banner outside the demo: a host behind a TLS proxy binds one address and is reached
 * at another (`server.publicUrl`); every printed URL must be the public one, adapters' pages
 * included, and no demo lines appear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinAdapters } from '../../adapters/index.js';
import { startBanner } from '../../src/cli/start-banner.js';
import { freePort } from '../support/free-port.js';
import { startHost, type RunningHost } from '../support/host-harness.js';

let h: RunningHost;
let port: number;
beforeAll(async () => {
  port = await freePort();
  h = await startHost({
    adapters: [...builtinAdapters],
    port,
    config: {
      server: { port, host: '127.0.0.1', publicUrl: 'https://mfa.example.test/', trustedProxies: ['loopback'] },
      adapters: {
        samlIdp: {},
        formsProxy: {
          apps: [
            { name: 'payroll', listen: { hostname: 'payroll.example.test' }, upstream: 'http://10.0.0.5:8080', loginPaths: ['/login'], success: { status: [302] } },
            { name: 'wiki', listen: { port: 0, host: '127.0.0.1' }, publicUrl: 'https://wiki.example.test/', upstream: 'http://10.0.0.6:8080', loginPaths: ['/login'], success: { status: [302] } },
          ],
        },
      },
    },
  });
});
afterAll(async () => {
  await h.close();
});

describe('the start banner', () => {
  it('prints the public URLs of the host and of every adapter page, never the bound address', () => {
    const lines = startBanner({
      publicUrl: h.host.config.publicUrl,
      listening: h.url,
      links: h.host.links(),
      demo: h.host.config.demo,
      demoCredentials: h.host.demoCredentials,
      demoUsersFile: null,
    });
    const text = lines.join('\n');
    expect(lines[0]).toBe(`factorgate is running at https://mfa.example.test (listening on 127.0.0.1:${port})`);
    expect(text).toMatch(/^ {2}sign in: +https:\/\/mfa\.example\.test\/login$/m);
    expect(text).toMatch(/^ {2}your account: +https:\/\/mfa\.example\.test\/portal$/m);
    expect(text).toMatch(/^ {2}SAML IdP metadata: +https:\/\/mfa\.example\.test\/saml\/idp\/metadata$/m);
    expect(text).toMatch(/^ {2}app "payroll" behind the forms proxy: +https:\/\/payroll\.example\.test\/$/m);
    expect(text).toMatch(/^ {2}app "wiki" behind the forms proxy: +https:\/\/wiki\.example\.test\/$/m);
    expect(text).not.toContain('demo');
    expect(text).not.toContain('Demo users');
    const urls = text.match(/https?:\/\/[^\s)]+/g) ?? [];
    expect(urls.length).toBe(8); // the first line, sign in, portal, health × 2, metadata, two apps
    for (const u of urls) expect(new URL(u).hostname).toMatch(/\.example\.test$/);
  });
});
