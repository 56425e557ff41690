/**
 * `factorgate keys …`: the life of the secrets key ring. Rotate (a new key encrypts new values,
 * the old ones still decrypt), rewrap (move every sealed value to the current key), retire (take
 * a key out once nothing uses it). Key material is never printed; what the administrator must
 * do on the other hosts is.
 */
import { parseArgs } from 'node:util';
import { type CliContext, UsageError, loadCliConfig } from '../cli-context.js';
import { openStore } from '../../store/store.js';
import { systemClock } from '../../kit/clock.js';
import { durationToMs } from '../../kit/durations.js';
import { previousKeyGraceMs, secretKeysFor } from '../../keys/secret-keys.js';
import { SecretBox, currentKeyIndex } from '../../store/secret-box.js';
import type { Kysely } from 'kysely';
import { sealedColumnsOf } from '../../keys/sealed-columns.js';
import { adapterSecrets } from '../../store/adapter/adapter-secrets.js';
import { migrateAdapters } from '../../store/adapter/adapter-migrations.js';
import { countValuesUsingKey, rewrapAll } from '../../keys/rewrap.js';
import { addKey, removeKey, ringSourceOf } from '../../keys/key-ring-files.js';
import { pinDerivationRoot } from '../../keys/derivation-root.js';
import { storeOptions } from './users.js';

export const usage = [
  'keys status [--config FILE]     the key ring: each key, which one encrypts, how many values use each',
  'keys rotate [--id ID] [--key-file F] [--activate-in 15m] [--config FILE]',
  '                                 add a new key (it encrypts new values; old keys still decrypt)',
  'keys rewrap [--batch N] [--config FILE]  re-encrypt every value under the current key (resumable, safe with hosts running)',
  'keys retire ID [--skip-grace] [--config FILE]  remove a key no value uses any more',
].join('\n  ');

const SUBCOMMANDS = new Set(['status', 'rotate', 'rewrap', 'retire']);

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function run(ctx: CliContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  if (!sub || !SUBCOMMANDS.has(sub)) throw new UsageError(`unknown keys command "${sub ?? ''}"`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      id: { type: 'string' },
      'key-file': { type: 'string' },
      'activate-in': { type: 'string' },
      batch: { type: 'string' },
      'skip-grace': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (sub === 'retire' ? positionals.length !== 1 : positionals.length !== 0) throw new UsageError(sub === 'retire' ? 'keys retire needs one key ID' : `keys ${sub} takes no arguments`);
  const activateIn = values['activate-in'] === undefined ? 0 : parseDuration('--activate-in', values['activate-in']);
  const batch = values.batch === undefined ? 500 : parseBatch(values.batch);

  const loaded = await loadCliConfig(values.config);
  const config = loaded.host;
  const clock = systemClock;
  const keys = secretKeysFor(config);
  // Built-in adapters and the configured plugins declare the sealed columns of their own tables.
  const columns = sealedColumnsOf(loaded.definitions);

  if (sub === 'rotate') {
    const source = ringSourceOf(config);
    const now = clock.now();
    const previous = keys[currentKeyIndex(keys, now)]!.id;
    const added = addKey(source, config, keys.map((k) => k.id), { id: values.id, keyFile: values['key-file'], activeFrom: now + activateIn, now });
    const graceEnd = iso(added.activeFrom + previousKeyGraceMs(config));
    const out = ctx.stdout;
    if (source.kind === 'local') {
      out.write(`added key ${added.id} in ${added.keyFile}; previous key ${previous} still decrypts.\n`);
      out.write('next:\n');
      out.write('  1. restart factorgate (each host using this data folder): the new key encrypts from then on\n');
    } else {
      out.write(`added key ${added.id} to secrets.keys in ${source.file} (key file ${added.keyFile}, active from ${iso(added.activeFrom)}); previous key ${previous} still decrypts.\n`);
      out.write('next:\n');
      out.write(`  1. on every other host sharing the store${activateIn > 0 ? `, before ${iso(added.activeFrom)}` : ' (use --activate-in to give yourself time)'}: copy ${added.keyFile} (mode 0600, readable by factorgate only)\n`);
      out.write(`     and add the same entry to its secrets.keys: { id: ${added.id}, keyFile: <its path>, activeFrom: ${iso(added.activeFrom)} }; then restart it.\n`);
      out.write(`     A host without the key cannot open what the others write under it. Restart this host too.\n`);
    }
    out.write(`  2. ${activateIn > 0 ? `after ${iso(added.activeFrom)}: ` : ''}factorgate keys rewrap   (moves every stored secret to ${added.id}; safe with hosts running)\n`);
    out.write(`  3. after ${graceEnd} (forms and sent codes made under ${previous} stay valid until then): factorgate keys retire ${previous}\n`);
    return 0;
  }

  const store = await openStore(storeOptions(config));
  try {
    // The adapters' sealed columns live in their own tables, created by their migrations.
    await migrateAdapters(store.db as Kysely<unknown>, loaded.definitions);
    const box = new SecretBox(keys, clock);
    if (sub === 'status') {
      const now = clock.now();
      const current = keys[currentKeyIndex(keys, now)]!.id;
      for (const k of keys) {
        const used = (await countValuesUsingKey(store.db, columns, k.id)).reduce((n, c) => n + c.count, 0);
        const state = k.id === current ? 'current' : k.activeFrom !== undefined && k.activeFrom > now ? `active from ${iso(k.activeFrom)}` : 'decrypt only';
        ctx.stdout.write(`${k.id}\t${state}\t${used} value${used === 1 ? '' : 's'}\n`);
      }
      return 0;
    }
    if (sub === 'rewrap') {
      const newest = keys[keys.length - 1]!;
      if (newest.id !== box.currentKeyId && newest.activeFrom !== undefined) {
        ctx.stdout.write(`note: key ${newest.id} becomes active at ${iso(newest.activeFrom)}; values move to ${box.currentKeyId} now, run again after that time\n`);
      }
      const report = await rewrapAll(store.db, box, columns, clock, {
        batchSize: batch,
        onBatch: (p) => void ctx.stderr.write(`${p.column}: done up to ${p.after} (${p.resealed} re-encrypted)\n`),
        adapterBox: (adapter) => adapterSecrets(keys, box, adapter, clock),
      });
      if (report.resumedFrom) ctx.stdout.write(`resumed at ${report.resumedFrom.column} after ${report.resumedFrom.after}\n`);
      let failed = 0;
      for (const c of report.columns) {
        ctx.stdout.write(`${c.column}\t${c.scanned} scanned\t${c.resealed} re-encrypted\t${c.changed} changed meanwhile${c.failed.length ? `\t${c.failed.length} failed` : ''}\n`);
        for (const f of c.failed) ctx.stdout.write(`  ${c.column} ${f.key}: ${f.reason}\n`);
        failed += c.failed.length;
      }
      ctx.stdout.write(failed ? `rewrap: ${failed} value(s) could not be opened and still use their old key\n` : `rewrap: every value uses ${report.target}\n`);
      return failed ? 1 : 0;
    }
    // retire
    const id = positionals[0]!;
    const index = keys.findIndex((k) => k.id === id);
    const now = clock.now();
    const currentIndex = currentKeyIndex(keys, now);
    if (index < 0) return refuse(ctx, `no key "${id}" in the ring (${keys.map((k) => k.id).join(', ')})`);
    if (index >= currentIndex) return refuse(ctx, `key ${id} is ${index === currentIndex ? 'the current key' : 'not active yet'}: rotate to a newer key first`);
    const usage = (await countValuesUsingKey(store.db, columns, id)).filter((c) => c.count > 0);
    if (usage.length > 0) {
      return refuse(ctx, `key ${id} still encrypts ${usage.map((c) => `${c.count} in ${c.column}`).join(', ')}: run factorgate keys rewrap first`);
    }
    const current = keys[currentIndex]!;
    if (index === currentIndex - 1 && !values['skip-grace']) {
      const graceEnd = (current.activeFrom ?? 0) + previousKeyGraceMs(config);
      if (now < graceEnd) {
        return refuse(ctx, `forms and sent codes made under ${id} are accepted until ${iso(graceEnd)}: retire after that (or --skip-grace, and they fail now)`);
      }
    }
    // A store no host has started on yet: pin the pairwise-identifier root before its key goes.
    await pinDerivationRoot(store.db, box, keys, clock);
    const file = removeKey(ringSourceOf(config), id);
    ctx.stdout.write(`retired key ${id}: no stored value used it.\n`);
    ctx.stdout.write(`next: remove it from every other host's configuration and restart them.${file ? ` ${file} is no longer read: keep it only with backups taken before now, else destroy it.` : ''}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function refuse(ctx: CliContext, message: string): number {
  ctx.stderr.write(`factorgate: ${message}\n`);
  return 1;
}

function parseDuration(flag: string, text: string): number {
  if (!/^\d+(ms|s|m|h|d)$/.test(text)) throw new UsageError(`${flag} expects a duration such as 15m or 2h`);
  return durationToMs(text);
}

function parseBatch(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError('--batch expects a whole number from 1 to 10000');
  return n;
}
