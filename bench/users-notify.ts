/**
 * `factorgate users notify --all-new` over a real SMTP server (the smtp-server package on
 * loopback, as the tests use): N users in a fresh SQLite store, the command run in-process
 * through the CLI's `main`, every mail received. The baseline, measured in the same run on the
 * same sink, is the previous sender: one mail at a time, one SMTP connection per mail
 * (nodemailer without a pool), the same rendered enrolment mail. Not a test: no thresholds.
 * Run with `npx tsx bench/users-notify.ts [--users 2000]`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { main } from '../src/cli/main.js';
import { createMailer, loadTemplates } from '../src/delivery/index.js';
import { smtpConfigSchema } from '../src/delivery/config.js';
import { ManualClock } from '../src/kit/clock.js';
import { openStore } from '../src/store/store.js';
import { UserRepository } from '../src/users/user-repository.js';
import { startSmtpServer } from '../test/delivery/support/smtp-server.js';

export interface UsersNotifyBenchOptions {
  users?: number;
  /** Mails sent by the one-connection-per-mail baseline. Default 30. */
  baselineMails?: number;
}

export interface UsersNotifyBenchResult {
  users: number;
  notifySeconds: number;
  notifyMailsPerSec: number;
  baselineSecondsPerMail: number;
  baselineMailsPerSec: number;
  /** notify mails/s ÷ baseline mails/s. */
  ratio: number;
  /** SMTP sessions the notify run opened (one per mail before the pool). */
  sessions: number;
}

const FROM = 'Factorgate <mfa@example.test>';

export async function runUsersNotifyBench(opts: UsersNotifyBenchOptions = {}): Promise<UsersNotifyBenchResult> {
  const users = opts.users ?? 2000;
  const baselineMails = opts.baselineMails ?? 30;
  const dir = mkdtempSync(join(tmpdir(), 'fg-bench-notify-'));
  const smtp = await startSmtpServer();
  try {
    // Baseline: the sender as it was, one connection and one mail at a time.
    const templates = loadTemplates();
    const single = createMailer(smtpConfigSchema.parse({ host: '127.0.0.1', port: smtp.port, startTls: 'never', from: FROM }), { templates });
    const t0 = performance.now();
    for (let i = 0; i < baselineMails; i++) {
      await single.sendTemplate('enrolled', 'en', { method: 'totp', portalUrl: 'https://mfa.example.test/login', displayName: `Base ${i}` }, `base-${i}@example.test`);
    }
    const baselineSeconds = (performance.now() - t0) / 1000;
    single.close();

    const dbFile = join(dir, 'data', 'factorgate.db');
    mkdirSync(join(dir, 'data'), { recursive: true });
    const store = await openStore({ driver: 'sqlite', file: dbFile });
    const repo = new UserRepository(store.db, new ManualClock());
    for (let i = 0; i < users; i++) {
      const name = `user-${String(i).padStart(6, '0')}`;
      await repo.upsertFromDirectory({ externalId: name, username: name, displayName: `User ${i}`, email: `${name}@example.test`, disabled: false }, 'file');
    }
    await store.close();
    writeFileSync(join(dir, 'users.yaml'), stringify({ users: [] }));
    const config = join(dir, 'factorgate.yaml');
    writeFileSync(
      config,
      stringify({
        dataDir: join(dir, 'data'),
        server: { publicUrl: 'https://mfa.example.test' },
        directory: { type: 'file', path: 'users.yaml' },
        delivery: { smtp: { host: '127.0.0.1', port: smtp.port, startTls: 'never', from: FROM } },
      }),
    );

    const sessionsBefore = smtp.sessions.length;
    const mailsBefore = smtp.mails.length;
    const out = new PassThrough().resume();
    const err = new PassThrough().resume();
    const stdin = new PassThrough();
    stdin.end('');
    const t1 = performance.now();
    const code = await main(['users', 'notify', '--all-new', '--config', config], {
      stdout: out as unknown as NodeJS.WriteStream,
      stderr: err as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      env: {},
    });
    const notifySeconds = (performance.now() - t1) / 1000;
    if (code !== 0) throw new Error(`users notify exited ${code}`);
    const received = smtp.mails.length - mailsBefore;
    if (received !== users) throw new Error(`the sink received ${received} mails, expected ${users}`);

    const notifyMailsPerSec = users / notifySeconds;
    const baselineMailsPerSec = baselineMails / baselineSeconds;
    return {
      users,
      notifySeconds,
      notifyMailsPerSec,
      baselineSecondsPerMail: baselineSeconds / baselineMails,
      baselineMailsPerSec,
      ratio: notifyMailsPerSec / baselineMailsPerSec,
      sessions: smtp.sessions.length - sessionsBefore,
    };
  } finally {
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { users: { type: 'string' } }, strict: true });
  const r = await runUsersNotifyBench({ users: values.users ? Number(values.users) : undefined });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
