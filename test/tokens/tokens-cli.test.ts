/**
 * `factorgate tokens …` end to end, in process: the RFC 6030 examples with a key file and a
 * password file, Entra CSV files naming users the store knows, all-or-nothing and `--partial`,
 * assignment, disabling, resynchronisation, and secrets that never reach the database file or
 * the output in plaintext.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openStore } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { ManualClock } from '../../src/kit/clock.js';
import { encodeBase32, generateHotp, generateTotpForStep, totpStep } from '../../src/otp/index.js';
import { makeTempDir } from '../support/host-harness.js';
import { buildPskc } from './support/build-pskc.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end();
  const code = await main(argv, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    env: {},
  });
  return { code, out, err };
}

interface Site {
  dir: string;
  dbFile: string;
  config: string;
  tokens(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  write(name: string, text: string): string;
  count(table: 'oath_tokens' | 'factors'): Promise<number>;
  dbBytes(): Buffer;
}

/** A configuration with its own store and key, and users alice (with a UPN) and bob in the store. */
async function site(): Promise<Site> {
  const dir = makeTempDir('fg-tokens-cli-');
  const dbFile = join(dir, 'data', 'factorgate.db');
  writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
  const config = join(dir, 'factorgate.yaml');
  writeFileSync(
    config,
    stringify({
      dataDir: join(dir, 'data'),
      store: { driver: 'sqlite', path: dbFile },
      secrets: { keys: [{ id: 'k1', key: 'aa'.repeat(32) }] },
      directory: { type: 'file', path: 'users.yaml' },
    }),
  );
  const store = await openStore({ driver: 'sqlite', file: dbFile });
  const users = new UserRepository(store.db, new ManualClock());
  await users.upsertFromDirectory({ externalId: 'e-alice', username: 'alice', upn: 'Alice.Martin@corp.example', disabled: false }, 'test');
  await users.upsertFromDirectory({ externalId: 'e-bob', username: 'bob', disabled: false }, 'test');
  await store.close();
  return {
    dir,
    dbFile,
    config,
    tokens: (...args: string[]) => runCli(['tokens', ...args, '--config', config]),
    write(name, text) {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    async count(table) {
      const s = await openStore({ driver: 'sqlite', file: dbFile });
      try {
        const r = await s.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        return Number(r.n);
      } finally {
        await s.close();
      }
    },
    dbBytes() {
      return Buffer.concat([dbFile, `${dbFile}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
    },
  };
}

const ENTRA_HEADER = 'upn,serial number,secret key,time interval,manufacturer,model';
const seed = (n: number) => Buffer.alloc(20, n);

describe('tokens import --format pskc', () => {
  it('imports RFC 6030 Figure 6 with the pre-shared key from --key-file, sealing the secret', async () => {
    const s = await site();
    const keyFile = s.write('psk.hex', '12345678901234567890123456789012\n');
    const r = await s.tokens('import', join(FIXTURES, 'rfc6030-figure6.pskcxml'), '--format', 'pskc', '--key-file', keyFile);
    expect(r).toMatchObject({ code: 0, err: '', out: 'imported 1 token (0 assigned)\n' });
    const list = await s.tokens('list');
    expect(list.out).toMatch(/^987654321\thotp counter=0 SHA1 8 digits\t\(unassigned\)\tenabled\tManufacturer\tnever used\n$/);

    const bytes = s.dbBytes();
    expect(bytes.includes(RFC_SECRET)).toBe(false);
    expect(bytes.includes(Buffer.from(RFC_SECRET.toString('hex')))).toBe(false);
    expect(bytes.includes(Buffer.from(RFC_SECRET.toString('base64')))).toBe(false);
    expect(bytes.includes(Buffer.from('fg1.k1.'))).toBe(true);
  });

  it('imports RFC 6030 Figure 7 with the passphrase from --password-file', async () => {
    const s = await site();
    const r = await s.tokens('import', join(FIXTURES, 'rfc6030-figure7.pskcxml'), '--format', 'pskc', '--password-file', s.write('pw', 'qwerty\n'));
    expect(r).toMatchObject({ code: 0, out: 'imported 1 token (0 assigned)\n' });
    expect(s.dbBytes().includes(RFC_SECRET)).toBe(false);
  });

  it('refuses a wrong passphrase or a missing key, naming the key and the reason, and stores nothing', async () => {
    const s = await site();
    const wrong = await s.tokens('import', join(FIXTURES, 'rfc6030-figure7.pskcxml'), '--format', 'pskc', '--password-file', s.write('pw', 'QWERTY'));
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('DECRYPTION_FAILED: the MACKey');
    expect(wrong.err).toContain('nothing imported: 1 problem');
    expect(wrong.err).not.toContain('QWERTY');
    const missing = await s.tokens('import', join(FIXTURES, 'rfc6030-figure6.pskcxml'), '--format', 'pskc');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('MISSING_DECRYPTION_KEY');
    expect(await s.count('oath_tokens')).toBe(0);
  });

  it('names a key whose MAC does not match, and stores none of the good keys beside it', async () => {
    const s = await site();
    const key = Buffer.alloc(16, 5);
    const xml = buildPskc({
      keys: [
        { id: 'k1', serial: 'P-1', secret: seed(1) },
        { id: 'k2', serial: 'P-2', secret: seed(2) },
      ],
      encryption: { uri: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc', key },
    });
    // Flip one byte of the second key's ValueMAC.
    const macs = [...xml.matchAll(/<ValueMAC>([^<]+)<\/ValueMAC>/g)];
    const mac = Buffer.from(macs[1]![1]!, 'base64');
    mac[0]! ^= 1;
    const tampered = xml.slice(0, macs[1]!.index) + `<ValueMAC>${mac.toString('base64')}</ValueMAC>` + xml.slice(macs[1]!.index + macs[1]![0].length);
    const r = await s.tokens('import', s.write('t.pskcxml', tampered), '--format', 'pskc', '--key-file', s.write('k', key.toString('hex')));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^key k2, serial P-2: BAD_MAC: /);
    expect(await s.count('oath_tokens')).toBe(0);
  });

  it('assigns tokens to the users their UserId names (a DN’s first RDN counts as a user name)', async () => {
    const s = await site();
    const xml = buildPskc({
      keys: [
        { id: 'k1', serial: 'P-1', secret: seed(1), userId: 'UID=alice,OU=people,DC=corp,DC=example' },
        { id: 'k2', serial: 'P-2', secret: seed(2), userId: 'alice.martin@CORP.example' },
        { id: 'k3', serial: 'P-3', secret: seed(3), userId: 'Bob' },
        { id: 'k4', serial: 'P-4', secret: seed(4) },
      ],
      encryption: { uri: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc', key: Buffer.alloc(32, 9) },
    });
    const r = await s.tokens('import', s.write('t.pskcxml', xml), '--format', 'pskc', '--key-file', s.write('k', Buffer.alloc(32, 9).toString('hex')));
    expect(r).toMatchObject({ code: 0, out: 'imported 4 tokens (3 assigned)\n' });
    const lines = (await s.tokens('list')).out.trim().split('\n').map((l) => l.split('\t').slice(0, 3).join(' '));
    expect(lines).toEqual(['P-1 hotp counter=0 SHA1 6 digits alice', 'P-2 hotp counter=0 SHA1 6 digits alice', 'P-3 hotp counter=0 SHA1 6 digits bob', 'P-4 hotp counter=0 SHA1 6 digits (unassigned)']);
    expect(await s.count('factors')).toBe(2);
  });
});

describe('tokens import --format csv', () => {
  it('imports an Entra file for users the store knows, by UPN or user name', async () => {
    const s = await site();
    const csv = [ENTRA_HEADER, `alice.martin@corp.example,E-1,${encodeBase32(seed(1))},30,Contoso,Mini`, `bob,E-2,${encodeBase32(seed(2))},60,Contoso,Card`].join('\r\n');
    const r = await s.tokens('import', s.write('entra.csv', csv), '--format', 'csv');
    expect(r).toMatchObject({ code: 0, err: '', out: 'imported 2 tokens (2 assigned)\n' });
    const list = (await s.tokens('list')).out;
    expect(list).toContain('E-1\ttotp period=30s drift=0 SHA1 6 digits\talice\tenabled\tContoso Mini\tnever used');
    expect(list).toContain('E-2\ttotp period=60s drift=0 SHA1 6 digits\tbob\tenabled\tContoso Card');
    expect((await s.tokens('list', '--user', 'BOB')).out.trim().split('\n')).toHaveLength(1);

    const bytes = s.dbBytes();
    for (const n of [1, 2]) {
      expect(bytes.includes(Buffer.from(encodeBase32(seed(n))))).toBe(false);
      expect(bytes.includes(seed(n))).toBe(false);
    }
    expect(list).not.toContain(encodeBase32(seed(1)));
  });

  it('refuses an Entra-style file lacking the time interval column, naming line 1 and the column, and stores nothing', async () => {
    const s = await site();
    const file = s.write('missing-column.csv', [`upn,serial number,secret key,manufacturer,model`, `alice,MC-1,${encodeBase32(seed(1))},Contoso,Mini`].join('\n'));
    const r = await s.tokens('import', file, '--format', 'csv');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/line 1: MISSING_COLUMNS: the header names upn, so this is an Entra file, but it lacks the column "time interval"/);
    expect(await s.count('oath_tokens')).toBe(0);
  });

  const badFile = () =>
    [
      ENTRA_HEADER,
      `alice,GOOD-1,${encodeBase32(seed(1))},30,,`,
      'bob,BAD-B32,NOT!BASE32==,30,,',
      `nobody@corp.example,NO-USER,${encodeBase32(seed(3))},30,,`,
      `bob,GOOD-1,${encodeBase32(seed(4))},30,,`,
      `bob,GOOD-2,${encodeBase32(seed(5))},30,,`,
    ].join('\n');

  it('is all or nothing: one bad row and nothing is stored; the report names every bad row and why', async () => {
    const s = await site();
    const r = await s.tokens('import', s.write('bad.csv', badFile()), '--format', 'csv');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toMatch(/^line 3, serial BAD-B32: BAD_BASE32: /);
    expect(lines[1]).toMatch(/^line 5, serial GOOD-1: DUPLICATE_SERIAL: serial GOOD-1 already appears on line 2$/);
    expect(lines[2]).toMatch(/^serial NO-USER: UNKNOWN_USER: no user "nobody@corp.example"/);
    expect(lines[3]).toBe('factorgate: nothing imported: 3 problems (fix the file, or use --partial to import the good tokens)');
    expect(lines).toHaveLength(4);
    expect(await s.count('oath_tokens')).toBe(0);
    expect(await s.count('factors')).toBe(0);
  });

  it('--partial keeps the good rows and still reports the bad ones', async () => {
    const s = await site();
    const r = await s.tokens('import', s.write('bad.csv', badFile()), '--format', 'csv', '--partial');
    expect(r.code).toBe(0);
    expect(r.out).toBe('imported 2 tokens (2 assigned); 3 skipped\n');
    expect(r.err.trim().split('\n')).toHaveLength(3);
    const serials = (await s.tokens('list')).out.trim().split('\n').map((l) => l.split('\t')[0]);
    expect(serials).toEqual(['GOOD-1', 'GOOD-2']);
  });

  it('--no-assign imports tokens whose users are unknown into stock; a serial already stored is refused', async () => {
    const s = await site();
    const r = await s.tokens('import', s.write('a.csv', `${ENTRA_HEADER}\nnobody@corp.example,S-1,${encodeBase32(seed(1))},30,,\n`), '--format', 'csv', '--no-assign');
    expect(r).toMatchObject({ code: 0, out: 'imported 1 token (0 assigned)\n' });
    const again = await s.tokens('import', s.write('b.csv', `serial,secret\nS-1,${encodeBase32(seed(2))}\nS-2,${encodeBase32(seed(2))}\n`), '--format', 'csv');
    expect(again.code).toBe(1);
    expect(again.err).toContain('serial S-1: SERIAL_EXISTS: serial S-1 is already in the store');
    expect(await s.count('oath_tokens')).toBe(1);
  });

  it('refuses secrets under 128 bits unless --min-secret-bits accepts them knowingly (RFC 4226 §4)', async () => {
    const s = await site();
    const file = s.write('old.csv', `serial,secret\nOLD-1,${encodeBase32(Buffer.alloc(10, 1))}\n`);
    const refused = await s.tokens('import', file, '--format', 'csv');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^line 2, serial OLD-1: SECRET_TOO_SHORT: the secret is 80 bits/);
    expect(await s.tokens('import', file, '--format', 'csv', '--min-secret-bits', '80')).toMatchObject({ code: 0, out: 'imported 1 token (0 assigned)\n' });
  });

  it('reads hex secrets of MFA Server files with --secret-encoding hex', async () => {
    const s = await site();
    const r = await s.tokens('import', s.write('m.csv', `M-1,${seed(7).toString('hex')},60\n`), '--format', 'csv', '--csv-layout', 'mfa-server', '--secret-encoding', 'hex');
    expect(r).toMatchObject({ code: 0, out: 'imported 1 token (0 assigned)\n' });
  });
});

describe('tokens list | assign | unassign | disable | enable', () => {
  it('says so when there is no token, on stderr, instead of printing nothing', async () => {
    const s = await site();
    expect(await s.tokens('list')).toMatchObject({ code: 0, out: '', err: 'no tokens yet: import them with `factorgate tokens import FILE --format pskc|csv`\n' });
    await s.tokens('import', s.write('e.csv', `serial,secret\nT-9,${encodeBase32(seed(9))}\n`), '--format', 'csv');
    expect(await s.tokens('list', '--user', 'alice')).toMatchObject({ code: 0, out: '', err: 'no tokens for alice\n' });
    expect(await s.tokens('list')).toMatchObject({ code: 0, err: '' });
  });

  it('assigns, refuses to take a token from its holder, unassigns, disables and enables', async () => {
    const s = await site();
    await s.tokens('import', s.write('m.csv', `serial,secret\nT-1,${encodeBase32(seed(1))}\n`), '--format', 'csv');
    expect(await s.tokens('assign', 'T-1', 'ALICE.MARTIN@corp.example')).toMatchObject({ code: 0, out: 'token T-1 assigned to alice\n' });
    expect(await s.count('factors')).toBe(1);
    const taken = await s.tokens('assign', 'T-1', 'bob');
    expect(taken).toMatchObject({ code: 1, err: 'factorgate: token T-1 is assigned to another user; unassign it first\n' });
    expect((await s.tokens('list', '--user', 'alice')).out).toContain('T-1\t');
    expect((await s.tokens('list', '--user', 'bob')).out).toBe('');

    expect(await s.tokens('disable', 'T-1')).toMatchObject({ code: 0, out: 'token T-1 disabled\n' });
    expect((await s.tokens('list')).out).toContain('\talice\tdisabled\t');
    expect(await s.count('factors')).toBe(0);
    expect(await s.tokens('enable', 'T-1')).toMatchObject({ code: 0, out: 'token T-1 enabled\n' });
    expect(await s.count('factors')).toBe(1);

    expect(await s.tokens('unassign', 'T-1')).toMatchObject({ code: 0, out: 'token T-1 unassigned from alice\n' });
    expect(await s.tokens('unassign', 'T-1')).toMatchObject({ code: 0, out: 'token T-1 was not assigned\n' });
    expect(await s.count('factors')).toBe(0);
    expect(await s.tokens('assign', 'T-1', 'bob')).toMatchObject({ code: 0, out: 'token T-1 assigned to bob\n' });
  });

  it('names an unknown serial or user with exit code 1', async () => {
    const s = await site();
    expect(await s.tokens('assign', 'NOPE', 'alice')).toMatchObject({ code: 1, err: 'factorgate: no token with serial "NOPE"\n' });
    await s.tokens('import', s.write('m.csv', `serial,secret\nT-1,${encodeBase32(seed(1))}\n`), '--format', 'csv');
    expect(await s.tokens('assign', 'T-1', 'zed')).toMatchObject({ code: 1, err: 'factorgate: no user "zed" (by user name or UPN)\n' });
    expect((await s.tokens('disable', 'NOPE')).code).toBe(1);
  });
});

describe('tokens resync', () => {
  it('moves an HOTP token’s counter past two consecutive codes far beyond the look-ahead (RFC 4226 §7.4)', async () => {
    const s = await site();
    const secret = seed(8);
    const xml = buildPskc({ keys: [{ id: 'h', serial: 'H-1', secret, counter: 5n, userId: 'alice' }] });
    await s.tokens('import', s.write('h.pskcxml', xml), '--format', 'pskc');
    const c1 = generateHotp(secret, 60);
    const c2 = generateHotp(secret, 61);

    const notConsecutive = await s.tokens('resync', 'H-1', c1, generateHotp(secret, 62));
    expect(notConsecutive.code).toBe(1);
    expect(notConsecutive.err).toContain('not consecutive codes');
    expect((await s.tokens('list')).out).toContain('hotp counter=5 ');

    const tooFar = await s.tokens('resync', 'H-1', generateHotp(secret, 300), generateHotp(secret, 301));
    expect(tooFar.code).toBe(1);

    const r = await s.tokens('resync', 'H-1', c1, c2);
    expect(r).toMatchObject({ code: 0, out: 'token H-1 resynchronised: next counter 62\n' });
    expect(r.out + r.err).not.toContain(c1);
    expect((await s.tokens('list')).out).toContain('hotp counter=62 ');
    // The codes just used cannot resynchronise it again (counters below 62 are never searched).
    expect((await s.tokens('resync', 'H-1', c1, c2)).code).toBe(1);
    // A wider window, for a token pressed many times away from the server.
    expect(await s.tokens('resync', 'H-1', generateHotp(secret, 200), generateHotp(secret, 201))).toMatchObject({ code: 1 });
    expect(await s.tokens('resync', 'H-1', generateHotp(secret, 200), generateHotp(secret, 201), '--window', '150')).toMatchObject({ code: 0 });
  });

  it('learns a TOTP token’s drift from two consecutive codes', async () => {
    const s = await site();
    const secret = seed(9);
    await s.tokens('import', s.write('t.csv', `${ENTRA_HEADER}\nbob,T-1,${encodeBase32(secret)},30,,\n`), '--format', 'csv');
    // The CLI reads the real clock; the codes are 20 steps (10 minutes) ahead of it.
    const step = totpStep(Date.now(), { period: 30, t0: 0 }) + 20;
    const r = await s.tokens('resync', 'T-1', generateTotpForStep(secret, step), generateTotpForStep(secret, step + 1));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^token T-1 resynchronised: clock drift (20|21) steps\n$/);
    expect((await s.tokens('list')).out).toMatch(/totp period=30s drift=(20|21) /);
  });
});

describe('tokens usage errors (exit code 2)', () => {
  it('refuses what cannot be meant, before opening the store', async () => {
    const s = await site();
    const file = s.write('x.csv', 'serial,secret\n');
    expect((await s.tokens('import', file)).code).toBe(2);
    expect((await s.tokens('import', file, '--format', 'xml')).code).toBe(2);
    expect((await s.tokens('import', file, '--format', 'pskc', '--key-file', file, '--password-file', file)).code).toBe(2);
    expect((await s.tokens('import', file, '--format', 'csv', '--key-file', file)).code).toBe(2);
    expect((await s.tokens('import', join(s.dir, 'missing.xml'), '--format', 'pskc')).code).toBe(2);
    const badKey = await s.tokens('import', file, '--format', 'pskc', '--key-file', s.write('k', 'not hex'));
    expect(badKey).toMatchObject({ code: 2, err: expect.stringContaining('hexadecimal') as string });
    expect((await s.tokens('assign', 'T-1')).code).toBe(2);
    expect((await s.tokens('resync', 'T-1', '123456')).code).toBe(2);
    expect((await s.tokens('resync', 'T-1', '1', '2', '--window', '-3')).code).toBe(2);
    expect((await s.tokens('frobnicate')).code).toBe(2);
    expect((await runCli(['tokens'])).code).toBe(2);
    expect(await s.count('oath_tokens')).toBe(0);
  });
});
