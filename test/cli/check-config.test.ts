/**
 * `factorgate check-config` through the real executable: every problem in one run (exit 2), and
 * `--connect` against real peers — a throwaway slapd, the smtp-server package with and without
 * STARTTLS and AUTH, an HTTPS server for upstream metadata, key files on disk (exit 1 on a
 * failure, each line naming the file, the key and what to check).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFactorgate } from '../support/factorgate-cli.js';
import { startSlapd, type Slapd } from '../support/slapd.js';
import { freePort } from '../support/free-port.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { makeSelfSignedCert, startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';
import { idpMetadataXml, REDIRECT } from '../fixtures/saml-bridge/idp-metadata.js';

const SMTP_USER = 'mfa';
const SMTP_PASSWORD = 'Smtp-Passw0rd';
const UPSTREAM_ID = 'https://adfs.corp.example/adfs/services/trust';
const SP_ID = 'https://wiki.corp.example/sp';
const SP_METADATA =
  `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${SP_ID}">` +
  '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
  '<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://wiki.corp.example/acs" index="0"/>' +
  '</md:SPSSODescriptor></md:EntityDescriptor>';

let dir: string;
let slapd: Slapd;
let smtp: TestSmtpServer;
let plainSmtp: TestSmtpServer;
let openSmtp: TestSmtpServer;
let https: Server;
let httpsPort: number;
let tls: ReturnType<typeof makeSelfSignedCert>;
let other: ReturnType<typeof makeSelfSignedCert>;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

interface Breakage {
  bindPassword?: string;
  baseDns?: string[];
  ldapUrl?: string;
  smtpPassword?: string;
  smtpPort?: number;
  /** An SMTP section without login and with another STARTTLS policy. */
  smtpAnonymous?: 'never' | 'opportunistic';
  metadataPath?: string;
  signingKey?: string;
}

/** A configuration pointing at the test's peers; `b` breaks what a test wants broken. */
function config(name: string, b: Breakage = {}): string {
  file(`${name}.bind`, `${b.bindPassword ?? slapd.bindPassword}\n`);
  file(`${name}.smtp`, `${b.smtpPassword ?? SMTP_PASSWORD}\n`);
  const baseDns = b.baseDns ?? [`ou=Users,ou=Corp,${slapd.suffix}`];
  return file(
    `${name}.yaml`,
    [
      'directory:',
      '  type: ldap',
      `  urls: ["${b.ldapUrl ?? slapd.url}"]`,
      `  bindDn: "${slapd.bindDn}"`,
      `  bindPasswordFile: ${name}.bind`,
      `  baseDns: [${baseDns.map((d) => JSON.stringify(d)).join(', ')}]`,
      '  preset: openldap',
      '  timeouts: { connectMs: 1000, operationMs: 3000 }',
      'delivery:',
      b.smtpAnonymous
        ? `  smtp: { host: 127.0.0.1, port: ${b.smtpPort ?? smtp.port}, startTls: ${b.smtpAnonymous},`
        : `  smtp: { host: 127.0.0.1, port: ${b.smtpPort ?? smtp.port}, startTls: required, user: ${SMTP_USER}, passwordFile: ${name}.smtp,`,
      '          caFile: tls.crt, from: "Factorgate <mfa@example.com>", timeouts: { connectionMs: 2000, greetingMs: 2000 } }',
      'signing:',
      '  keys:',
      `    - { certFile: tls.crt, keyFile: ${b.signingKey ?? 'tls.key'} }`,
      'adapters:',
      '  samlBridge:',
      '    upstreams:',
      `      - { name: adfs, metadataUrl: "https://127.0.0.1:${httpsPort}${b.metadataPath ?? '/metadata'}" }`,
      '',
    ].join('\n'),
  );
}

/** The test's own CA (the self-signed certificate) is trusted by the command's fetch. */
const env = (): NodeJS.ProcessEnv => ({ NODE_EXTRA_CA_CERTS: join(dir, 'tls.crt') });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-check-config-'));
  // The users file the configurations with a file directory name (check-config reads it).
  file('users.yaml', 'users: []\n');
  tls = makeSelfSignedCert();
  other = makeSelfSignedCert();
  file('tls.crt', tls.cert);
  file('tls.key', tls.key);
  file('other.key', other.key);
  const metadata = idpMetadataXml({ entityId: UPSTREAM_ID, keys: [{ pem: tls.cert, use: 'signing' }], sso: [{ binding: REDIRECT, location: 'https://adfs.corp.example/adfs/ls/' }] });
  https = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (req.url === '/metadata') res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(metadata);
    else if (req.url === '/sp-metadata') res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(SP_METADATA);
    else res.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', () => resolve()));
  httpsPort = (https.address() as AddressInfo).port;
  [slapd, smtp, plainSmtp, openSmtp] = await Promise.all([
    startSlapd({ users: 2 }),
    startSmtpServer({ tls: { key: tls.key, cert: tls.cert }, credentials: { user: SMTP_USER, password: SMTP_PASSWORD } }),
    startSmtpServer({ noStartTls: true, credentials: { user: SMTP_USER, password: SMTP_PASSWORD }, allowInsecureAuth: true }),
    // A relay inside the network: neither STARTTLS nor AUTH.
    startSmtpServer({ noStartTls: true }),
  ]);
});

afterAll(async () => {
  await Promise.all([slapd?.destroy(), smtp?.close(), plainSmtp?.close(), openSmtp?.close(), new Promise((r) => https?.close(r))]);
  tls?.cleanup();
  other?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('check-config', () => {
  it('reports five mistakes of different kinds in one run, each on its own line, exit 2', async () => {
    const path = file(
      'five.yaml',
      [
        'server: { port: 80800 }',
        'branding: { productName: "${BRAND}", primaryColor: blue }',
        'directory:',
        '  type: ldap',
        '  urls: [ldap://127.0.0.1:1]',
        '  bindDn: cn=svc,dc=corp,dc=example',
        '  bindPasswordFile: /nonexistent/ldap-bind',
        '  baseDns: ["OU=Staff,DC=corp,DC=example"]',
        'adapters:',
        '  samlBridge:',
        '    upstreams: [{ name: adfs, metadataUrl: not-a-url }]',
        '',
      ].join('\n'),
    );
    const r = await runFactorgate(['check-config', '--config', path]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toEqual([
      `${path}: branding.productName: environment variable BRAND is not set`,
      `${path}: directory.bindPasswordFile: cannot read /nonexistent/ldap-bind (ENOENT)`,
      expect.stringMatching(new RegExp(`^${esc(path)}: server\\.port: .*65535$`)),
      `${path}: branding.primaryColor: expected a colour like #1f5fbf`,
      `${path}: adapters.samlBridge.upstreams[0].metadataUrl: expected an http(s) URL`,
    ]);
  });

  it('refuses a plain http metadata URL unless the metadata signer is pinned, naming the key, exit 2', async () => {
    const plain = file('plain-http.yaml', ['adapters:', '  samlBridge:', '    upstreams: [{ name: adfs, metadataUrl: "http://adfs.corp.example/FederationMetadata/2007-06/FederationMetadata.xml" }]', ''].join('\n'));
    const r = await runFactorgate(['check-config', '--config', plain]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toContain(
      `${plain}: adapters.samlBridge.upstreams[0].metadataUrl: plain http is refused for metadata: use https (the server certificate is verified), or sign the metadata and set metadataSignerCert`,
    );
    // The same URL with the metadata signer pinned is no problem (the file has others: no directory section).
    const signed = file(
      'signed-http.yaml',
      ['adapters:', '  samlBridge:', '    upstreams: [{ name: adfs, metadataUrl: "http://adfs.corp.example/md", metadataSignerCertFile: tls.crt }]', ''].join('\n'),
    );
    const withSigner = await runFactorgate(['check-config', '--config', signed]);
    expect(withSigner.err).toContain(`${signed}: directory: required`);
    expect(withSigner.err).not.toContain('adapters.samlBridge');
  });
});

describe('check-config --connect', () => {
  it('passes when the directory, SMTP server, metadata URL and keys all answer as configured', async () => {
    const path = config('good');
    const r = await runFactorgate(['check-config', '--config', path, '--connect'], env());
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${path}: directory.urls[0]: LDAP ${slapd.url}: ok (bound as ${slapd.bindDn}, 1 base DN found)`);
    expect(r.out).toContain(`${path}: delivery.smtp.host: SMTP 127.0.0.1:${smtp.port}: ok (greeting, STARTTLS required, login as ${SMTP_USER} ok)`);
    expect(r.out).toContain(`${path}: adapters.samlBridge.upstreams[0].metadataUrl: upstream adfs metadata https://127.0.0.1:${httpsPort}/metadata: ok (${UPSTREAM_ID}, SSO https://adfs.corp.example/adfs/ls/, 1 signing certificate)`);
    expect(r.out).toContain(`${path}: signing.keys[0].certFile: SAML signing key: ok (key matches its certificate)`);
    expect(r.out).toContain(`${path}: delivery.smtp.caFile: SMTP CA: ok (1 certificate`);
    expect(r.out).toMatch(/connect: 5 of 5 checks passed\n$/);
    // The login really happened, over TLS.
    expect(smtp.auths.some((a) => a.username === SMTP_USER && a.secure)).toBe(true);
  });

  it('refuses a metadata server whose certificate the process does not trust (no NODE_EXTRA_CA_CERTS)', async () => {
    const path = config('untrusted');
    const r = await runFactorgate(['check-config', '--config', path, '--connect']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${esc(path)}: adapters\\.samlBridge\\.upstreams\\[0\\]\\.metadataUrl: .*could not be fetched \\((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\\)`));
  });

  it('names the key and what to check for each failing peer, exit 1', async () => {
    const path = config('bad', {
      bindPassword: 'wrong-password',
      smtpPassword: 'wrong-password',
      metadataPath: '/gone',
      signingKey: 'other.key',
    });
    const r = await runFactorgate(['check-config', '--config', path, '--connect'], env());
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${esc(path)}: directory\\.bindPasswordFile: ${esc(slapd.url)} answered LDAP result 49 .*: LDAP result 49 means the bind password or DN is wrong; check directory\\.bindPasswordFile and directory\\.bindDn$`)),
        expect.stringMatching(new RegExp(`^${esc(path)}: delivery\\.smtp\\.passwordFile: 127\\.0\\.0\\.1:${smtp.port} refused the login \\(.*535.*\\): check delivery\\.smtp\\.user and delivery\\.smtp\\.passwordFile$`)),
        expect.stringMatching(new RegExp(`^${esc(path)}: adapters\\.samlBridge\\.upstreams\\[0\\]\\.metadataUrl: .*HTTP 404.*: check adapters\\.samlBridge\\.upstreams\\[0\\]\\.metadataUrl$`)),
        expect.stringMatching(new RegExp(`^${esc(path)}: signing\\.keys\\[0\\]\\.keyFile: the private key does not match the certificate: check signing\\.keys\\[0\\]\\.keyFile and signing\\.keys\\[0\\]\\.certFile$`)),
      ]),
    );
    expect(lines).toHaveLength(4);
    expect(r.out).toMatch(/connect: 1 of 5 checks passed\n$/);
    // No secret reaches the output.
    expect(r.out + r.err).not.toContain('wrong-password');
  });

  it('names a base DN that does not exist', async () => {
    const path = config('basedn', { baseDns: [`ou=Users,ou=Corp,${slapd.suffix}`, `ou=Staff,${slapd.suffix}`] });
    const r = await runFactorgate(['check-config', '--config', path, '--connect'], env());
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe(
      `${path}: directory.baseDns[1]: ${slapd.url} answered LDAP result 32 (no such object): no entry "ou=Staff,${slapd.suffix}" there: check the DN (in YAML, quote a DN inside [ ]: a bare one is split at its commas)`,
    );
  });

  it('names the URL when no directory server answers, and the SMTP host when nothing listens', async () => {
    const closed = await freePort();
    const path = config('down', { ldapUrl: `ldap://127.0.0.1:${closed}`, smtpPort: closed });
    const r = await runFactorgate(['check-config', '--config', path, '--connect'], env());
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path}: directory.urls[0]: no LDAP server answered at ldap://127.0.0.1:${closed} (ECONNREFUSED): check the host name, the port and the firewall\n`);
    expect(r.err).toMatch(new RegExp(`${esc(path)}: delivery\\.smtp\\.host: 127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED.*: check delivery\\.smtp\\.host, delivery\\.smtp\\.port and the firewall\\n`));
  });

  it('refuses an SMTP server that offers no STARTTLS when it is required', async () => {
    const path = config('nostarttls', { smtpPort: plainSmtp.port });
    const r = await runFactorgate(['check-config', '--config', path, '--connect'], env());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^${esc(path)}: delivery\\.smtp\\.startTls: 127\\.0\\.0\\.1:${plainSmtp.port}: TLS could not be set up .*: check delivery\\.smtp\\.startTls`, 'm'));
    // The password never crossed in clear.
    expect(plainSmtp.auths).toEqual([]);
  });

  it('accepts a relay without STARTTLS or AUTH when the file says so, and a STARTTLS server without a login', async () => {
    const relay = config('relay', { smtpPort: openSmtp.port, smtpAnonymous: 'never' });
    const r = await runFactorgate(['check-config', '--config', relay, '--connect'], env());
    expect(r.err).toBe('');
    expect(r.out).toContain(`${relay}: delivery.smtp.host: SMTP 127.0.0.1:${openSmtp.port}: ok (greeting, no TLS ok)`);
    expect(r.code).toBe(0);
    const upgraded = config('upgraded', { smtpAnonymous: 'opportunistic' });
    const u = await runFactorgate(['check-config', '--config', upgraded, '--connect'], env());
    expect(u.out).toContain(`${upgraded}: delivery.smtp.host: SMTP 127.0.0.1:${smtp.port}: ok (greeting, STARTTLS opportunistic ok)`);
    // This server wants a login before mail, which --connect cannot know without sending one; the greeting and TLS pass.
    expect(u.code).toBe(0);
  });

  it('checks the .eml folder of delivery.smtp kind file (created, writable) instead of a server, and names dir when it cannot be', async () => {
    file('users-only.yaml', 'users: []\n');
    const mailFolder = (name: string, dirValue: string) =>
      file(`${name}.yaml`, ['directory: { type: file, path: users-only.yaml }', 'delivery:', `  smtp: { kind: file, dir: ${dirValue}, from: "Factorgate <mfa@example.com>" }`, ''].join('\n'));
    const good = mailFolder('outbox', 'outbox');
    const r = await runFactorgate(['check-config', '--config', good, '--connect']);
    expect(r.err).toBe('');
    expect(r.out).toContain(`${good}: delivery.smtp.dir: mail folder ${join(dir, 'outbox')}: ok (writable (kind file: mails are written there, not sent))`);
    expect(r.code).toBe(0);
    // A folder that cannot exist: its parent is a file.
    const bad = mailFolder('blocked', 'users-only.yaml/outbox');
    const b = await runFactorgate(['check-config', '--config', bad, '--connect']);
    expect(b.code).toBe(1);
    expect(b.err).toContain(`${bad}: delivery.smtp.dir: ${join(dir, 'users-only.yaml', 'outbox')}: cannot be created or written (ENOTDIR): check delivery.smtp.dir`);
  });

  it('loads each relying party\'s metadata URL and certificate as the IdP adapter would', async () => {
    const path = file(
      'idp.yaml',
      [
        'directory: { type: file, path: users.yaml }',
        'adapters:',
        '  samlIdp:',
        '    relyingParties:',
        `      - { name: wiki, metadataUrl: "https://127.0.0.1:${httpsPort}/sp-metadata" }`,
        `      - { name: payroll, metadataUrl: "https://127.0.0.1:${httpsPort}/gone" }`,
        '      - { name: helpdesk, entityId: https://helpdesk.example/sp, acs: [{ url: https://helpdesk.example/acs }], certFile: broken.crt }',
        '',
      ].join('\n'),
    );
    file('broken.crt', tls.cert.slice(0, 200));
    const r = await runFactorgate(['check-config', '--config', path, '--connect'], env());
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${path}: adapters.samlIdp.relyingParties[0].metadataUrl: relying party wiki metadata https://127.0.0.1:${httpsPort}/sp-metadata: ok (${SP_ID}, 1 ACS, 0 signing certificates)`);
    const lines = r.err.trim().split('\n');
    expect(lines).toEqual([
      `${path}: adapters.samlIdp.relyingParties[1].metadataUrl: the metadata could not be loaded (HTTP 404): check adapters.samlIdp.relyingParties[1].metadataUrl`,
      expect.stringMatching(new RegExp(`^${esc(path)}: adapters\\.samlIdp\\.relyingParties\\[2\\]\\.certFile: .+: check adapters\\.samlIdp\\.relyingParties\\[2\\]\\.certFile$`)),
    ]);
  });

  it('reports missing key files as configuration problems (exit 2) before connecting to anything', async () => {
    const path = config('nokey', { signingKey: 'absent.key' });
    const r = await runFactorgate(['check-config', '--config', path, '--connect'], env());
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`${path}: signing.keys[0].keyFile: cannot read ${join(dir, 'absent.key')} (ENOENT)`);
    expect(r.out).toBe('');
  });
});

describe('check-config --connect with a PostgreSQL store', () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  function storeConfig(name: string, url: string): string {
    file(`${name}.db-url`, `${url}\n`);
    return file(`${name}.yaml`, `store:\n  driver: postgres\n  urlFile: ${name}.db-url\ndirectory:\n  type: file\n  path: users.yaml\n`);
  }

  it('connects to the store, and names urlFile and the database when it does not exist, never printing the password', async () => {
    const good = storeConfig('pg-good', pg.url.replace('app@', 'app:S3cret-in-url@'));
    const r = await runFactorgate(['check-config', '--config', good, '--connect']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(new RegExp(`${esc(good)}: store\\.urlFile: PostgreSQL 127\\.0\\.0\\.1:${pg.port}/factorgate: ok \\(PostgreSQL \\d+`));
    expect(r.code).toBe(0);

    const missing = storeConfig('pg-missing', pg.url.replace('app@', 'app:S3cret-in-url@').replace(/\/factorgate$/, '/nosuchdb'));
    const m = await runFactorgate(['check-config', '--config', missing, '--connect']);
    expect(m.code).toBe(1);
    expect(m.err.trim()).toBe(
      `${missing}: store.urlFile: 127.0.0.1:${pg.port}/nosuchdb: database "nosuchdb" does not exist: check the database name in store.urlFile (create it with createdb)`,
    );
    expect(m.out + m.err + r.out).not.toContain('S3cret-in-url');
  });

  it('names urlFile when nothing listens at the URL', async () => {
    const closed = await freePort();
    const path = storeConfig('pg-down', `postgres://app@127.0.0.1:${closed}/factorgate`);
    const r = await runFactorgate(['check-config', '--config', path, '--connect']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^${esc(path)}: store\\.urlFile: 127\\.0\\.0\\.1:${closed}/factorgate: ECONNREFUSED: .*check the host, port and database in store\\.urlFile, and the firewall\\n$`));
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
