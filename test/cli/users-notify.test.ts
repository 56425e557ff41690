/**
 * `factorgate users notify` against a real SMTP server: one enrolment mail per new user, its
 * content depending on the method the user will meet (the masked number, the initial PIN, the
 * portal link), and never twice with --all-new.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { secretBoxFor } from '../../src/keys/secret-keys.js';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { verifyPin } from '../../src/delivery/index.js';
import { openStore } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { ManualClock } from '../../src/kit/clock.js';
import { encodeBase32 } from '../../src/otp/index.js';
import { makeTempDir } from '../support/host-harness.js';
import { findPart, parseMime } from '../delivery/support/mime.js';
import { startSmtpServer, type TestSmtpServer } from '../delivery/support/smtp-server.js';
import { runFactorgate } from '../support/factorgate-cli.js';

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

async function setup(smtp: TestSmtpServer | { file: string }, people: Person[], sms: Record<string, unknown> = {}) {
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
        smtp: 'file' in smtp ? { kind: 'file', dir: smtp.file, from: 'Factorgate <mfa@example.test>' } : { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: 'Factorgate <mfa@example.test>' },
      },
    }),
  );
  await addPeople(join(dir, 'data', 'factorgate.db'), people);
  return { file, dir, db: join(dir, 'data', 'factorgate.db') };
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

  it('in code + PIN mode mails an initial PIN and stores only its peppered hash', async () => {
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
      // Sealed with the host's key ring (the local one under dataDir/keys here): the pepper.
      expect(row.pin_hash).toMatch(/^fg1\.local-1\./);
      expect(row.pin_hash).not.toContain(pin!);
      const ring = secretBoxFor({ dataDir: join(dirname(file), 'data'), secrets: undefined });
      expect(await verifyPin(pin!, row.pin_hash, ring, row.user_id)).toEqual({ ok: true, needsRehash: false });
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

  it('picks the mail from the methods a user holds: a hardware token holder is not told to install an app', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { file, dir, db } = await setup(smtp, [
      { username: 'tina', displayName: 'Tina Token', email: 'tina@example.test' },
      { username: 'arno', displayName: 'Arno App', email: 'arno@example.test' },
      { username: 'nina', displayName: 'Nina New', email: 'nina@example.test' },
    ]);
    // tina receives a hardware token the way an administrator hands one out.
    const csv = join(dir, 'tokens.csv');
    writeFileSync(csv, `upn,serial number,secret key,time interval,manufacturer,model\ntina,HW-1,${encodeBase32(randomBytes(20))},30,Contoso,Mini\n`);
    const imported = await runCli(['tokens', 'import', csv, '--format', 'csv', '--config', file]);
    expect(imported.code, imported.err).toBe(0);
    // arno already registered an authenticator app (a confirmed totp method, as the challenge page leaves it).
    const store = await openStore({ driver: 'sqlite', file: db });
    try {
      const arno = await store.db.selectFrom('users').select('id').where('username', '=', 'arno').executeTakeFirstOrThrow();
      await store.db
        .insertInto('factors')
        .values({ id: randomUUID(), user_id: arno.id, kind: 'totp', label: null, secret_enc: null, params: '{}', is_default: 1, confirmed: 1, last_used_step: null, created_at: 0, last_used_at: null })
        .execute();
    } finally {
      await store.close();
    }

    const r = await runCli(['users', 'notify', '--all-new', '--config', file]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('notified tina (token)');
    expect(r.out).toContain('notified arno (app)');
    expect(r.out).toContain('notified nina (totp)');
    const mail = (to: string) => textOf(smtp.mails.find((m) => m.rcptTo[0] === to)!.raw);
    expect(mail('tina@example.test')).toContain('hardware token');
    expect(mail('tina@example.test')).not.toMatch(/authenticator app|Google Authenticator|Register/);
    expect(mail('arno@example.test')).toContain('already\nregistered');
    expect(mail('arno@example.test')).not.toContain('https://mfa.example.test/login');
    expect(mail('nina@example.test')).toContain('Register an authenticator app');
  });

  it('--dry-run prints who would get which mail and sends, draws and stores nothing', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const { file, db } = await setup(
      smtp,
      [
        { username: 'alice', displayName: 'Alice Martin', email: 'alice@example.test', phone: '+33612345678' },
        { username: 'bob', email: 'bob@example.test' },
        { username: 'carol', phone: '+33698765432' },
      ],
      { pin: 'required' },
    );
    const dry = await runCli(['users', 'notify', '--all-new', '--dry-run', '--config', file]);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain('would notify alice (pin)');
    expect(dry.out).toContain('would notify bob (totp)');
    expect(dry.err).toContain('skipped carol: no email address');
    expect(dry.out).toContain('2 would be notified (dry run: nothing sent or stored)');
    expect(smtp.mails).toHaveLength(0);
    expect(smtp.sessions).toHaveLength(0);
    const store = await openStore({ driver: 'sqlite', file: db });
    try {
      expect(await store.db.selectFrom('user_pins').selectAll().execute()).toHaveLength(0);
      expect(await store.db.selectFrom('user_notifications').selectAll().execute()).toHaveLength(0);
    } finally {
      await store.close();
    }
    // The real run afterwards still mails both: the dry run marked no one.
    const real = await runCli(['users', 'notify', '--all-new', '--config', file]);
    expect(real.out).toContain('2 notified, 0 failed');
  });

  it('sends a long run over a few pooled connections, reports progress with an ETA, and a refused recipient fails alone', async () => {
    const smtp = await startSmtpServer({ refuseRecipient: 'user-077@example.test' });
    cleanup.push(() => smtp.close());
    const people = Array.from({ length: 150 }, (_, i) => ({ username: `user-${String(i).padStart(3, '0')}`, email: `user-${String(i).padStart(3, '0')}@example.test` }));
    const { file, db } = await setup(smtp, people);
    // The real command, as an administrator runs it after an import.
    const r = await runFactorgate(['users', 'notify', '--all-new', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('149 notified, 1 failed');
    expect(r.err).toMatch(/failed user-077: smtp send failed: .*550/);
    expect(smtp.mails).toHaveLength(149);
    // One connection per mail would be 150 sessions; the pool opens at most maxConnections (5)
    // at a time and rotates each after 100 mails.
    expect(smtp.sessions.length).toBeLessThanOrEqual(10);
    const progress = r.err.split('\n').filter((l) => l.startsWith('progress '));
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(progress[0]).toMatch(/^progress 10\/150 \(6%\), [0-9.]+ mails\/s, ETA [0-9]+(s|m[0-9]{2}s)$/);
    const store = await openStore({ driver: 'sqlite', file: db });
    try {
      const notified = await store.db.selectFrom('user_notifications').select('user_id').execute();
      expect(notified).toHaveLength(149);
    } finally {
      await store.close();
    }
    // The one that failed is tried again by the next --all-new, and only it.
    const again = await runCli(['users', 'notify', '--all-new', '--config', file]);
    expect(again.out).toContain('0 notified, 1 failed');
  });

  it('delivery.smtp kind file writes each mail as a private .eml file, relative to the configuration file', async () => {
    const { file, dir } = await setup({ file: 'outbox' }, [
      { username: 'alice', displayName: 'Alice Martin', email: 'alice@example.test' },
      { username: 'bob', displayName: 'Bob Durand', email: 'bob@example.test' },
    ]);
    const r = await runFactorgate(['users', 'notify', '--all-new', '--config', file]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('2 notified, 0 failed');
    const outbox = join(dir, 'outbox');
    const files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(2);
    expect(statSync(outbox).mode & 0o777).toBe(0o700);
    const raws = files.map((f) => {
      expect(statSync(join(outbox, f)).mode & 0o777).toBe(0o600);
      return readFileSync(join(outbox, f), 'utf8');
    });
    const alice = raws.find((m) => /^To: "?Alice Martin"? <alice@example\.test>/m.test(m));
    expect(alice).toBeDefined();
    expect(alice).toMatch(/^From: Factorgate <mfa@example\.test>/m);
    expect(alice).toMatch(/^Auto-Submitted: auto-generated/m);
    expect(textOf(alice!)).toContain('Hello Alice Martin');
  });
});
