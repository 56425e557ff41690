/**
 * `factorgate tokens …`: OATH hardware tokens from a vendor's file into the store, and their
 * life afterwards (assignment, resynchronisation, disabling). Codes, secrets, keys and
 * passwords are never printed; a report names each bad row or key, and why.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type CliContext, UsageError, loadCliConfig } from '../cli-context.js';
import { openStore } from '../../store/store.js';
import { systemClock } from '../../kit/clock.js';
import { secretBoxFor } from '../../keys/secret-keys.js';
import { importCsvTokens, importPskcTokens, type ImportResult } from '../../tokens/index.js';
import { TokenError, TokenRepository, type TokenSummary } from '../../tokens/token-repository.js';
import { problemLine } from '../../tokens/problem-line.js';

export { problemLine };
import { storeOptions } from './users.js';

export const usage = [
  'tokens import FILE --format pskc|csv [--key-file F | --password-file F] [--partial] [--no-assign]',
  '       [--csv-layout entra|mfa-server] [--secret-encoding base32|hex] [--min-secret-bits N] [--config FILE]',
  '                                 import OATH tokens; all or nothing unless --partial',
  'tokens list [--user USER] [--config FILE]',
  'tokens assign SERIAL USER | unassign SERIAL | disable SERIAL | enable SERIAL [--config FILE]',
  'tokens resync SERIAL CODE1 CODE2 [--window N] [--config FILE]   two consecutive codes (RFC 4226 §7.4)',
].join('\n  ');

const SUBCOMMANDS = new Set(['import', 'list', 'assign', 'unassign', 'disable', 'enable', 'resync']);

export async function run(ctx: CliContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  if (!sub || !SUBCOMMANDS.has(sub)) throw new UsageError(`unknown tokens command "${sub ?? ''}"`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      format: { type: 'string' },
      'key-file': { type: 'string' },
      'password-file': { type: 'string' },
      partial: { type: 'boolean', default: false },
      'no-assign': { type: 'boolean', default: false },
      'csv-layout': { type: 'string' },
      'secret-encoding': { type: 'string' },
      'min-secret-bits': { type: 'string' },
      user: { type: 'string' },
      window: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const needs = (n: number, what: string) => {
    if (positionals.length !== n) throw new UsageError(`tokens ${sub} needs ${what}`);
  };

  // Read and check everything the administrator typed before the store is opened.
  let parsed: ImportResult | undefined;
  let window: number | undefined;
  if (sub === 'import') {
    needs(1, 'one FILE');
    parsed = readImport(positionals[0]!, values);
  } else if (sub === 'list') {
    needs(0, 'no arguments');
  } else if (sub === 'assign') {
    needs(2, 'SERIAL USER');
  } else if (sub === 'resync') {
    needs(3, 'SERIAL CODE1 CODE2');
    if (values.window !== undefined) window = positiveInteger('--window', values.window);
  } else {
    needs(1, 'SERIAL');
  }

  const loaded = await loadCliConfig(values.config);
  const store = await openStore(storeOptions(loaded.host));
  try {
    const tokens = new TokenRepository(store.db, secretBoxFor(loaded.host), systemClock);
    const [first = '', second = '', third = ''] = positionals;
    switch (sub) {
      case 'import':
        return await runImport(ctx, tokens, parsed!, { partial: values.partial, assign: !values['no-assign'] });
      case 'list': {
        const list = await tokens.list(values.user !== undefined ? { username: values.user } : {});
        for (const token of list) ctx.stdout.write(`${listLine(token)}\n`);
        // An empty list says so on stderr (stdout stays empty for scripts) rather than printing nothing.
        if (list.length === 0) {
          ctx.stderr.write(values.user !== undefined ? `no tokens for ${values.user}\n` : 'no tokens yet: import them with `factorgate tokens import FILE --format pskc|csv`\n');
        }
        return 0;
      }
      case 'assign': {
        const { username } = await tokens.assign(first, second);
        ctx.stdout.write(`token ${first} assigned to ${username}\n`);
        return 0;
      }
      case 'unassign': {
        const from = await tokens.unassign(first);
        ctx.stdout.write(from === null ? `token ${first} was not assigned\n` : `token ${first} unassigned from ${from}\n`);
        return 0;
      }
      case 'disable':
      case 'enable':
        await tokens.setDisabled(first, sub === 'disable');
        ctx.stdout.write(`token ${first} ${sub}d\n`);
        return 0;
      case 'resync': {
        const r = await tokens.resync(first, second, third, window !== undefined ? { window } : {});
        ctx.stdout.write(
          r.kind === 'hotp'
            ? `token ${first} resynchronised: next counter ${r.nextCounter}\n`
            : `token ${first} resynchronised: clock drift ${r.driftSteps} step${Math.abs(r.driftSteps) === 1 ? '' : 's'}\n`,
        );
        return 0;
      }
    }
    return 2;
  } catch (err) {
    if (err instanceof TokenError) {
      ctx.stderr.write(`factorgate: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await store.close();
  }
}

type ImportFlags = {
  format?: string | undefined;
  'key-file'?: string | undefined;
  'password-file'?: string | undefined;
  'csv-layout'?: string | undefined;
  'secret-encoding'?: string | undefined;
  'min-secret-bits'?: string | undefined;
};

function readImport(file: string, values: ImportFlags): ImportResult {
  const minSecretBytes = values['min-secret-bits'] === undefined ? undefined : minSecretBits(values['min-secret-bits']) / 8;
  if (values.format === 'pskc') {
    if (values['csv-layout'] !== undefined || values['secret-encoding'] !== undefined) {
      throw new UsageError('--csv-layout and --secret-encoding are for --format csv');
    }
    if (values['key-file'] !== undefined && values['password-file'] !== undefined) {
      throw new UsageError('give --key-file or --password-file, not both');
    }
    const preSharedKey = values['key-file'] === undefined ? undefined : readKeyFile(values['key-file']);
    const password = values['password-file'] === undefined ? undefined : readPasswordFile(values['password-file']);
    return importPskcTokens(readInput(file), {
      ...(preSharedKey ? { preSharedKey } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(minSecretBytes !== undefined ? { minSecretBytes } : {}),
    });
  }
  if (values.format === 'csv') {
    if (values['key-file'] !== undefined || values['password-file'] !== undefined) {
      throw new UsageError('--key-file and --password-file are for --format pskc; CSV secrets are not encrypted');
    }
    const layout = values['csv-layout'];
    if (layout !== undefined && layout !== 'entra' && layout !== 'mfa-server') throw new UsageError('--csv-layout must be entra or mfa-server');
    const encoding = values['secret-encoding'];
    if (encoding !== undefined && encoding !== 'base32' && encoding !== 'hex') throw new UsageError('--secret-encoding must be base32 or hex');
    return importCsvTokens(readInput(file), {
      ...(layout ? { format: layout } : {}),
      ...(encoding ? { secretEncoding: encoding } : {}),
      ...(minSecretBytes !== undefined ? { minSecretBytes } : {}),
    });
  }
  throw new UsageError('tokens import needs --format pskc or --format csv');
}

function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new UsageError(`cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`);
  }
}

/** RFC 6030 §6.1 pre-shared key, written as hex (whitespace and a `0x` prefix tolerated). */
function readKeyFile(file: string): Buffer {
  const text = readInput(file).toString('utf8').replace(/\s+/g, '').replace(/^0x/i, '');
  // AES-128/192/256 or two- or three-key triple DES: the cipher itself checks the exact length.
  if (!/^(?:[0-9a-fA-F]{2}){16,32}$/.test(text)) {
    throw new UsageError(`${file} must hold the pre-shared key as 32 to 64 hexadecimal digits`);
  }
  return Buffer.from(text, 'hex');
}

/** RFC 6030 §6.2 passphrase: the file's text without its final line break. */
function readPasswordFile(file: string): string {
  const text = readInput(file).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new UsageError(`${file} is empty`);
  return text;
}

function minSecretBits(text: string): number {
  const bits = positiveInteger('--min-secret-bits', text);
  if (bits % 8 !== 0 || bits < 64) throw new UsageError('--min-secret-bits must be a multiple of 8, at least 64');
  return bits;
}

function positiveInteger(name: string, text: string): number {
  if (!/^[0-9]{1,6}$/.test(text) || Number(text) < 1) throw new UsageError(`${name} must be a positive whole number`);
  return Number(text);
}

async function runImport(
  ctx: CliContext,
  tokens: TokenRepository,
  parsed: ImportResult,
  options: { partial: boolean; assign: boolean },
): Promise<number> {
  const report = await tokens.importTokens(parsed, options);
  for (const p of report.problems) ctx.stderr.write(`${problemLine(p)}\n`);
  if (!report.stored && report.problems.length > 0) {
    ctx.stderr.write(
      `factorgate: nothing imported: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}` +
        `${options.partial ? '' : ' (fix the file, or use --partial to import the good tokens)'}\n`,
    );
    return 1;
  }
  const skipped = report.problems.length > 0 ? `; ${report.problems.length} skipped` : '';
  ctx.stdout.write(`imported ${report.imported} token${report.imported === 1 ? '' : 's'} (${report.assigned} assigned)${skipped}\n`);
  return 0;
}

function listLine(t: TokenSummary): string {
  const kind = t.kind === 'hotp' ? `hotp counter=${t.counter}` : `totp period=${t.period}s drift=${t.driftSteps}`;
  return [
    t.serial,
    `${kind} ${t.algorithm} ${t.digits} digits`,
    t.username ?? '(unassigned)',
    t.disabled ? 'disabled' : 'enabled',
    [t.manufacturer, t.model].filter(Boolean).join(' '),
    t.lastUsedAt === null ? 'never used' : `last used ${new Date(t.lastUsedAt).toISOString()}`,
  ].join('\t');
}
