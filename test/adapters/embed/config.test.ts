/**
 * The embed section as `factorgate check-config` (the command) reports it: every problem at once,
 * each with the file and the key: an unreadable secretFile, a short secret, a return URL that is
 * plain http off localhost or carries a query, a client id used twice, a result lifetime over
 * two minutes. A sound section passes.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runFactorgate } from '../../support/factorgate-cli.js';
import { makeTempDir, writeUsersFile } from '../../support/host-harness.js';

let dir: string;

beforeAll(async () => {
  dir = makeTempDir('fg-embed-config-');
  await writeUsersFile(dir, [{ username: 'alice', password: 'alice-password-1' }]);
  writeFileSync(join(dir, 'good.secret'), `${randomBytes(32).toString('base64url')}\n`);
  writeFileSync(join(dir, 'short.secret'), 'too-short\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, embed: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, stringify({ directory: { type: 'file', path: 'users.yaml' }, adapters: { embed } }));
  return file;
}

describe('check-config on adapters.embed', () => {
  it('passes a sound section', async () => {
    const file = configFile('good.yaml', { clients: [{ id: 'intranet', secretFile: 'good.secret', returnUrls: ['https://intranet.example.com/', 'http://localhost:3000/app'] }] });
    const run = await runFactorgate(['check-config', '--config', file]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(`${file}: OK`);
  });

  it('reports every problem with the file and the key', async () => {
    const file = configFile('bad.yaml', {
      resultLifetime: '5m',
      clients: [
        { id: 'intranet', secretFile: 'missing.secret', returnUrls: ['https://intranet.example.com/'] },
        { id: 'intranet', secretFile: 'short.secret', returnUrls: ['http://intranet.example.com/', 'https://intranet.example.com/a?b=1'] },
      ],
    });
    const run = await runFactorgate(['check-config', '--config', file]);
    expect(run.code).not.toBe(0);
    const lines = run.err.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `${file}: adapters.embed.clients[0].secretFile: cannot read ${join(dir, 'missing.secret')} (ENOENT)`,
        // Read from a file, the value is reported at the key the operator wrote.
        expect.stringMatching(new RegExp(`^${file.replace(/[.]/g, '\\.')}: adapters\\.embed\\.clients\\[1\\]\\.secretFile: expected at least 32 random characters`)),
        `${file}: adapters.embed.clients[1].returnUrls[0]: expected https:// (plain http:// only on localhost)`,
        `${file}: adapters.embed.clients[1].returnUrls[1]: a return URL is an origin and a path prefix: no query, no fragment`,
        `${file}: adapters.embed.resultLifetime: expected 10s to 2m: a result is used at once`,
      ]),
    );
    // Two clients under one id (checked once each client is sound).
    const twice = configFile('twice.yaml', { clients: ['https://a.example/', 'https://b.example/'].map((u) => ({ id: 'intranet', secretFile: 'good.secret', returnUrls: [u] })) });
    const again = await runFactorgate(['check-config', '--config', twice]);
    expect(again.code).not.toBe(0);
    expect(again.err.trim()).toBe(`${twice}: adapters.embed.clients[1].id: client id "intranet" is used twice`);
  });
});
