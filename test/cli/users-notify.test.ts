/**
 * `factorgate users notify` against a real SMTP server: one enrolment mail per new user, its
 * content depending on the method the user will meet (the masked number, the initial PIN, the
 * portal link), and never twice with --all-new.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { verifyPin } from '../../src/delivery/index.js';
import { openStore } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { ManualClock } from '../../src/host/clock.js';
import { makeTempDir } from '../support/host-harness.js';
import { findPart, parseMime } from '../delivery/support/mime.js';
import { startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';

async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end('');
  const code = await main(argv, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    env: {},
  });
  return { code, out, err };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

interface Person {
  username: string;
  displayName?: string;
  email?: string;
  phone?: string;
  disabled?: boolean;
}

async function setup(smtp: TestSmtpServer, people: Person[], sms: Record<string, unknown> = {}) {
  const dir = makeTempDir('fg-notify-');
  writeFileSync(join(dir, 'users.yaml'), stringify({ users: [] }));
  const file = join(dir, 'factorgate.yaml');
  writeFileSync(
    file,
    stringify({
      dataDir: join(dir, 'data'),
      server: { publicUrl: 'https://mfa.example.test' },
      directory: { type: 'file', path: 'users.yaml' },
      factors: { sms },
      delivery: {
        defaultRegion: 'FR',
        sms: { type: 'console' },
        smtp: { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: 'Factorgate <mfa@example.test>' },
      },
    }),
  );
  await addPeople(join(dir, 'data', 'factorgate.db'), people);
  return { file, db: join(dir, 'data', 'factorgate.db') };
}

async function addPeople(dbFile: string, people: Person[]) {
  mkdirSync(join(dbFile, '..'), { recursive: true });
  const store = await openStore({ driver: 'sqlite', file: dbFile });
  const users = new UserRepository(store.db, new ManualClock());
  for (const p of people) {
    await users.upsertFromDirectory({ externalId: p.username, username: p.username, displayName: p.displayName, email: p.email, phone: p.phone, disabled: p.disabled ?? false }, 'file');
  }
  await store.close();
}

function textOf(raw: string): string {
  return findPart(parseMime(raw), 'text/plain')!.body;
}

describe('factorgate users notify', () => {
  it('--all-new mails each new user once, by method; a second run mails no one; a later import mails only the newcomer', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { file, db } = await setup(smtp, [
      { username: 'alice', displayName: 'Alice Martin', email: 'alice@example.test', phone: '06 12 34 56 78' },
      { username: 'bob', displayName: 'Bob Durand', email: 'bob@example.test' },
      { username: 'carol', displayName: 'Carol', phone: '+33698765432' },
      { username: 'dave', email: 'dave@example.test', disabled: true },
    ]);

    const first = await runCli(['users', 'notify', '--all-new', '--config', file]);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('notified alice (sms)');
    expect(first.out).toContain('notified bob (totp)');
    expect(first.err).toContain('skipped carol: no email address');
    expect(first.out).toContain('2 notified, 0 failed');
    expect(smtp.mails.map((m) => m.rcptTo[0]).sort()).toEqual(['alice@example.test', 'bob@example.test']);

    const alice = textOf(smtp.mails.find((m) => m.rcptTo[0] === 'alice@example.test')!.raw);
    expect(alice).toContain('Hello Alice Martin');
    expect(alice).toContain('by text message to +33 6 •• •• •• 78');
    expect(alice).not.toContain('612345678');
    const bob = textOf(smtp.mails.find((m) => m.rcptTo[0] === 'bob@example.test')!.raw);
    expect(bob).toContain('https://mfa.example.test/login');

    const again = await runCli(['users', 'notify', '--all-new', '--config', file]);
    expect(again.code).toBe(0);
    expect(again.out).toContain('0 notified, 0 failed');
    expect(smtp.mails).toHaveLength(2);

    await addPeople(db, [{ username: 'erin', displayName: 'Erin', email: 'erin@example.test' }]);
    const later = await runCli(['users', 'notify', '--all-new', '--config', file]);
    expect(later.out).toContain('notified erin (totp)');
    expect(later.out).toContain('1 notified, 0 failed');
    expect(smtp.mails).toHaveLength(3);

    // --user mails one user again, on purpose.
    const one = await runCli(['users', 'notify', '--user', 'alice', '--config', file]);
    expect(one.code).toBe(0);
    expect(smtp.mails).toHaveLength(4);
  });

  it('in code + PIN mode mails an initial PIN and stores only its scrypt hash', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { file, db } = await setup(smtp, [{ username: 'alice', displayName: 'Alice Martin', email: 'alice@example.test', phone: '+33612345678' }], { pin: 'required' });
    const r = await runCli(['users', 'notify', '--all-new', '--config', file]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('notified alice (pin)');
    const text = textOf(smtp.mails[0]!.raw);
    const pin = /\n\s{4}([0-9]{6})\n/.exec(text)?.[1];
    expect(pin).toBeDefined();
    const store = await openStore({ driver: 'sqlite', file: db });
    try {
      const row = await store.db.selectFrom('user_pins').selectAll().executeTakeFirstOrThrow();
      expect(row.pin_hash).toMatch(/^scrypt\$/);
      expect(row.pin_hash).not.toContain(pin!);
      expect(await verifyPin(pin!, row.pin_hash)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('needs exactly one of --all-new or --user (exit 2)', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { file } = await setup(smtp, []);
    expect((await runCli(['users', 'notify', '--config', file])).code).toBe(2);
    expect((await runCli(['users', 'notify', '--all-new', '--user', 'x', '--config', file])).code).toBe(2);
  });
});
