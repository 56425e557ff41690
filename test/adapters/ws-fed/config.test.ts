/**
 * `factorgate check-config` on a wsFed section, through the real command: every mistake in one
 * run, each naming the file and the key (exit 2); the presets make a one-line Entra ID realm valid.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runFactorgate } from '../../support/factorgate-cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fg-wsfed-config-'));
  writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, wsFed: unknown): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify({ dataDir: join(dir, 'data'), server: { publicUrl: 'https://mfa.corp.example' }, directory: { type: 'file', path: 'users.yaml' }, adapters: { wsFed } }));
  return path;
}

describe('factorgate check-config: adapters.wsFed', () => {
  it('accepts an Entra ID realm given by its preset alone', async () => {
    const r = await runFactorgate(['check-config', '--config', configFile('good', { realms: [{ name: 'Microsoft 365', preset: 'entra-id' }] })]);
    expect(r.code, r.err).toBe(0);
  });

  it('reports every mistake with the file and key, exit 2', async () => {
    const path = configFile('bad', {
      realms: [
        { name: 'Intranet', preset: 'sharepoint' },
        { name: 'Apps', realm: 'urn:apps', replyUrls: ['ftp://apps.corp.example/'], tokenLifetime: 'soon' },
        { name: 'Office', preset: 'entra-id', nameIdentifier: { source: 'shoeSize' } },
      ],
      maxContextBytes: 10,
    });
    const r = await runFactorgate(['check-config', '--config', path]);
    expect(r.code).toBe(2);
    const lines = r.err.split('\n').filter((l) => l.includes('adapters.wsFed'));
    for (const key of ['realms[0].realm', 'realms[0].replyUrls', 'realms[1].replyUrls[0]', 'realms[1].tokenLifetime', 'realms[2].nameIdentifier.source', 'maxContextBytes']) {
      expect(lines.some((l) => l.startsWith(`${path}: adapters.wsFed.${key}: `)), `${key} in:\n${r.err}`).toBe(true);
    }
  });

  it('refuses two realms with one name or one wtrealm (the Entra ID preset counts as urn:federation:MicrosoftOnline)', async () => {
    const path = configFile('twice', {
      realms: [
        { name: 'Microsoft 365', preset: 'entra-id' },
        { name: 'Microsoft 365', realm: 'urn:apps', replyUrls: ['https://apps.corp.example/'] },
        { name: 'Tenant B', realm: 'urn:federation:MicrosoftOnline', replyUrls: ['https://login.microsoftonline.com/login.srf'] },
      ],
    });
    const r = await runFactorgate(['check-config', '--config', path]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path}: adapters.wsFed.realms[1].name: duplicate realm name Microsoft 365`);
    expect(r.err).toContain(`${path}: adapters.wsFed.realms[2].realm: two realms answer to wtrealm urn:federation:MicrosoftOnline`);
  });
});
