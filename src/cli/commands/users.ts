import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { type CliContext, UsageError, loadCliConfig } from '../cli-context.js';
import { hashPassword } from '../../directory/password-hash.js';
import { openStore } from '../../store/store.js';
import { UserRepository } from '../../users/user-repository.js';
import { systemClock } from '../../kit/clock.js';
import { secretBoxFor } from '../../keys/secret-keys.js';
import type { HostConfig } from '../../config/schema.js';
import { createDirectory } from '../../host/create-directory.js';
import { runUsersImport } from '../../directory/import-cli.js';
import { notifyUsers } from './users-notify.js';
import { printUsers } from './users-list.js';
import { cliActor, isAdminSubcommand, runUserAdmin } from './users-admin.js';
import { noStoredUserMessage, UserAdmin } from '../../admin/user-admin.js';
import { AuditLog } from '../../audit/audit-log.js';
import { createLogger } from '../../audit/logger.js';

export const usage = [
  'users hash-password             read a password (stdin or prompt) and print its hash for the users file',
  'users list [--json] [--config FILE]  list the users: lock state, enrolled methods, last sign-in',
  'users unlock USER [--reason TEXT] [--config F]  clear a user\'s lockout (audited)',
  'users show USER [--json] [--config F]  identity, lock, methods, tokens, PIN, bypass and the last 50 audit records',
  'users reset USER --reason TEXT  remove the user\'s methods: the next sign-in enrols again (lost phone)',
  'users bypass USER [--minutes N] --reason TEXT  let the next sign-in skip the second factor once',
  'users disable|enable USER --reason TEXT  refuse or allow sign-in (an admin disable outlives directory refreshes)',
  'users app-passwords revoke-all USER --reason TEXT  revoke every app password of the user (lost phone or laptop; audited)',
  'users forget-devices USER --reason TEXT  revoke every remembered device of the user (policies: remember this device)',
  'users import [--dry-run] [--base DN] [--config F]  import or refresh users from the configured directory',
  'users notify --all-new | --user NAME [--dry-run] [--config F]  mail users how their second step works (once each with --all-new)',
].join('\n  ');

async function readPassword(ctx: CliContext): Promise<string> {
  if (!ctx.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  // On a terminal, read without echo.
  ctx.stderr.write('Password: ');
  const rl = createInterface({ input: ctx.stdin, output: undefined, terminal: true });
  ctx.stdin.setRawMode?.(true);
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      ctx.stdin.setRawMode?.(false);
      rl.close();
      ctx.stderr.write('\n');
      resolve(answer);
    });
  });
}

async function importFromDirectory(ctx: CliContext, config: HostConfig, dryRun: boolean, base: string | undefined): Promise<number> {
  const directory = createDirectory(config.directory);
  const store = await openStore(storeOptions(config));
  try {
    const summary = await runUsersImport({ directory, db: store.db, dryRun, ...(base ? { base } : {}), out: ctx.stdout });
    return summary.errors > 0 ? 1 : 0;
  } finally {
    await directory.close();
    await store.close();
  }
}

export function storeOptions(config: HostConfig) {
  return config.store.driver === 'sqlite'
    ? ({ driver: 'sqlite', file: config.store.path! } as const)
    : ({ driver: 'postgres', connectionString: config.store.url, poolSize: 2 } as const);
}

export async function run(ctx: CliContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  if (sub === 'hash-password') {
    const password = await readPassword(ctx);
    if (password === '') throw new UsageError('empty password');
    ctx.stdout.write(`${await hashPassword(password)}\n`);
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      base: { type: 'string' },
      'all-new': { type: 'boolean', default: false },
      user: { type: 'string' },
      json: { type: 'boolean', default: false },
      reason: { type: 'string' },
      minutes: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const loaded = await loadCliConfig(values.config);
  if (sub === 'import') return importFromDirectory(ctx, loaded.host, values['dry-run'], values.base);
  if (sub === 'notify') {
    if (values['all-new'] === (values.user !== undefined)) throw new UsageError('users notify needs exactly one of --all-new or --user NAME');
    const store = await openStore(storeOptions(loaded.host));
    try {
      return await notifyUsers({ db: store.db, config: loaded.host, clock: systemClock, secrets: secretBoxFor(loaded.host), out: ctx.stdout, err: ctx.stderr }, { username: values.user ?? null, dryRun: values['dry-run'] });
    } finally {
      await store.close();
    }
  }
  const store = await openStore(storeOptions(loaded.host));
  try {
    const users = new UserRepository(store.db, systemClock);
    if (sub === 'list') {
      await printUsers(store.db, systemClock, ctx.stdout, values.json);
      return 0;
    }
    // The audit row is the record; the CLI's own log stays quiet.
    const admin = new UserAdmin({ db: store.db, clock: systemClock, audit: new AuditLog(store.db, systemClock, createLogger({ level: 'silent' })), config: loaded.host });
    if (isAdminSubcommand(sub)) {
      return await runUserAdmin(admin, { sub, username: positionals[0], reason: values.reason, minutes: values.minutes, json: values.json, actor: cliActor(ctx.env) }, ctx.stdout);
    }
    if (sub === 'app-passwords') {
      const [action, name] = positionals;
      if (action !== 'revoke-all') throw new UsageError(`unknown users app-passwords command "${action ?? ''}" (expected revoke-all)`);
      if (!name) throw new UsageError('users app-passwords revoke-all needs a user name');
      if (values.reason === undefined) throw new UsageError('users app-passwords revoke-all needs --reason TEXT (stored in the audit record)');
      // The console's operation (issue 19: an admin revokes all, from the console and the CLI), audited as admin-action.
      const n = await admin.revokeAppPasswords(name, cliActor(ctx.env), values.reason);
      ctx.stdout.write(`revoked ${n} app password(s) of ${name}\n`);
      return 0;
    }
    if (sub === 'unlock') {
      const name = positionals[0];
      if (!name) throw new UsageError('users unlock needs a user name');
      if (!(await users.findByUsername(name))) {
        ctx.stderr.write(`factorgate: ${noStoredUserMessage(name)}
`);
        return 1;
      }
      // Audited like every help-desk action; --reason stays optional here (scripts predate it).
      await admin.unlock(name, cliActor(ctx.env), values.reason ?? 'no reason given (users unlock)');
      ctx.stdout.write(`unlocked ${name}\n`);
      return 0;
    }
    throw new UsageError(`unknown users command "${sub ?? ''}"`);
  } finally {
    await store.close();
  }
}
