import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { verifyPassword } from '../../src/directory/password-hash.js';
import { makeTempDir, startHost } from '../support/host-harness.js';

async function runCli(argv: string[], stdinText = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end(stdinText);
  const code = await main(argv, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    env: {},
  });
  return { code, out, err };
}

describe('the factorgate command', () => {
  it('check-config prints every problem on its own line and exits 2', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'server:\n  port: "x"\n  colour: red\ndirectory:\n  type: ldapx\n');
    const r = await runCli(['check-config', '--config', file]);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([`${file}: server.port: expected number, received string`, `${file}: server.colour: unknown key`, expect.stringMatching(/^.*: directory\.type: /)]),
    );
    expect(lines).toHaveLength(3);
  });

  it('check-config accepts a good file', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'ok.yaml');
    writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
    writeFileSync(file, 'directory:\n  type: file\n  path: users.yaml\n');
    const r = await runCli(['check-config', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${file}: OK`);
  });

  it('hash-password prints an Argon2id hash of standard input', async () => {
    const r = await runCli(['users', 'hash-password'], 'hunter2-but-longer\n');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword('hunter2-but-longer', r.out.trim())).toBe(true);
  });

  it('rejects unknown commands and options with exit code 2', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const r = await runCli(['check-config', '--nope']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown option '--nope'/);
  });

  it('lists users, unlocks one, and exports the audit trail as CSV and JSON lines', async () => {
    const h = await startHost();
    try {
      const db = h.host.api.store.db;
      const b = await fetch(`${h.url}/login`);
      void b;
      const alice = await h.host.api.users.upsertFromDirectory({ externalId: 'e1', username: 'alice', email: 'a@x.test', disabled: false, givenName: '=cmd|evil' }, 'file');
      await db.updateTable('users').set({ failed_attempts: 5, locked_until: Date.now() + 60_000 }).where('id', '=', alice.id).execute();
      await h.host.api.audit.record({ event: 'challenge', result: 'failure', user: { ...alice }, method: 'totp', denyReason: 'MISMATCH', clientIp: '127.0.0.1' });
      const cfg = join(h.dir, 'factorgate.yaml');
      const lockedUntil = await db.selectFrom('users').select('locked_until').where('id', '=', alice.id).executeTakeFirstOrThrow();
      const signedIn = await db.selectFrom('users').select('last_sign_in_at').where('id', '=', alice.id).executeTakeFirstOrThrow();
      await db
        .insertInto('factors')
        .values(['totp', 'sms', 'totp'].map((kind, i) => ({ id: `f${i}`, user_id: alice.id, kind, label: null, secret_enc: null, params: '{}', is_default: 0, confirmed: 1, last_used_step: null, created_at: 0, last_used_at: null })))
        .execute();
      await db.insertInto('factors').values({ id: 'f9', user_id: alice.id, kind: 'email', label: null, secret_enc: null, params: '{}', is_default: 0, confirmed: 0, last_used_step: null, created_at: 0, last_used_at: null }).execute();
      await h.host.api.users.upsertFromDirectory({ externalId: 'e2', username: 'bob', displayName: 'Bob\tBuilder', disabled: true }, 'file');
      await db.updateTable('users').set({ last_sign_in_at: null, failed_attempts: 2 }).where('username', '=', 'bob').execute();
      const list = await runCli(['users', 'list', '--config', cfg]);
      expect(list.code).toBe(0);
      // A header; the lock with its end; confirmed methods only, once each; an unconfirmed one left out.
      expect(list.out.split('\n')).toEqual([
        'USER\tNAME\tEMAIL\tSTATUS\tLOCK\tMETHODS\tLAST SIGN-IN',
        `alice\t\ta@x.test\tenabled\tlocked until ${new Date(lockedUntil.locked_until!).toISOString()}\tsms,totp\t${new Date(signedIn.last_sign_in_at!).toISOString()}`,
        'bob\tBob Builder\t\tdisabled\t2 failed\t-\tnever',
        '',
      ]);
      const json = await runCli(['users', 'list', '--json', '--config', cfg]);
      expect(JSON.parse(json.out)).toEqual([
        { username: 'alice', displayName: null, email: 'a@x.test', status: 'enabled', lockedUntil: new Date(lockedUntil.locked_until!).toISOString(), failedAttempts: 5, methods: ['sms', 'totp'], lastSignIn: new Date(signedIn.last_sign_in_at!).toISOString() },
        { username: 'bob', displayName: 'Bob\tBuilder', email: null, status: 'disabled', lockedUntil: null, failedAttempts: 2, methods: [], lastSignIn: null },
      ]);
      expect((await runCli(['users', 'unlock', 'ALICE', '--config', cfg])).out).toBe('unlocked ALICE\n');
      expect((await db.selectFrom('users').select(['failed_attempts', 'locked_until']).where('id', '=', alice.id).executeTakeFirstOrThrow())).toEqual({ failed_attempts: 0, locked_until: null });
      const nobody = await runCli(['users', 'unlock', 'nobody', '--config', cfg]);
      expect(nobody.code).toBe(1);
      expect(nobody.err).toBe('factorgate: no user "nobody" in the store (users are added at their first sign-in or by `factorgate users import`)\n');
      const csv = await runCli(['audit', 'export', '--format', 'csv', '--config', cfg]);
      const [header, row] = csv.out.split('\r\n');
      expect(header).toMatch(/^id,ts,event,result,user_id,username,given_name,surname,email,phone,device_token,method,deny_reason,server_name,server_ip,client_ip/);
      expect(row).toContain(",challenge,failure,");
      expect(row).toContain("'=cmd|evil"); // spreadsheet formula neutralised
      const jsonl = await runCli(['audit', 'export', '--format', 'jsonl', '--since', '2000-01-01', '--config', cfg]);
      const recs = jsonl.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(recs.find((r) => r.event === 'challenge')).toMatchObject({ event: 'challenge', deny_reason: 'MISMATCH', method: 'totp', email: 'a@x.test' });
      // The unlock is audited as a help-desk action, naming who ran the command.
      const unlock = recs.find((r) => r.event === 'admin-action');
      expect(unlock).toMatchObject({ username: 'alice', result: 'success' });
      expect(JSON.parse(unlock!.detail as string)).toMatchObject({ action: 'unlock', reason: 'no reason given (users unlock)' });
      expect((await runCli(['audit', 'export', '--since', 'yesterday', '--config', cfg])).code).toBe(2);
    } finally {
      await h.close();
    }
  });
});
