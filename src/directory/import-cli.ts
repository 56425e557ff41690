/**
 * `factorgate users import [--dry-run] [--base DN]`: runs the import and reports it. On a
 * terminal a progress bar redraws in place; otherwise (CI logs, pipes, cron mail) one plain
 * line per batch, since carriage returns make a mess of a log file. The total is not known in
 * advance (a paged search does not announce its size), so the bar sweeps instead of filling.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Directory } from './directory.js';
import type { Database } from '../store/schema.js';
import { systemClock, type Clock } from '../kit/clock.js';
import { importUsers, type ImportCounts, type ImportSummary } from './import-users.js';

export interface RunUsersImportOptions {
  directory: Directory;
  db: Kysely<Database>;
  dryRun?: boolean | undefined;
  base?: string | undefined;
  out: NodeJS.WriteStream | (NodeJS.WritableStream & { isTTY?: boolean; columns?: number });
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  batchSize?: number | undefined;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

function counts(c: Readonly<ImportCounts>): string {
  return `${c.added} added, ${c.updated} updated, ${c.unchanged} unchanged, ${c.errors} errors`;
}

function bar(frame: number): string {
  const seg = 6;
  const span = BAR_WIDTH - seg;
  const pos = frame % (2 * span);
  const at = pos <= span ? pos : 2 * span - pos;
  return `[${' '.repeat(at)}${'='.repeat(seg)}${' '.repeat(BAR_WIDTH - seg - at)}]`;
}

export async function runUsersImport(options: RunUsersImportOptions): Promise<ImportSummary> {
  const { out } = options;
  const clock = options.clock ?? systemClock;
  const tty = out.isTTY === true;
  let frame = 0;
  let lastDraw = 0;
  const started = clock.now();

  const onProgress = (c: Readonly<ImportCounts>): void => {
    const now = clock.now();
    if (tty) {
      if (now - lastDraw < REDRAW_MS && lastDraw !== 0) return;
      lastDraw = now;
      const secs = Math.max((now - started) / 1000, 0.001);
      const line = `${bar(frame++)} ${c.seen} users read · ${counts(c)} · ${Math.round(c.seen / secs)}/s`;
      const width = (out as { columns?: number }).columns ?? 120;
      out.write(`\r\x1b[2K${line.slice(0, Math.max(width - 1, 20))}`);
    } else {
      out.write(`read ${c.seen} users: ${counts(c)}\n`);
    }
  };

  try {
    const summary = await importUsers({
      directory: options.directory,
      db: options.db,
      clock,
      dryRun: options.dryRun,
      base: options.base,
      batchSize: options.batchSize,
      onProgress,
      logger: options.logger,
    });
    if (tty) out.write('\r\x1b[2K');
    out.write(formatSummary(summary));
    return summary;
  } catch (err) {
    if (tty) out.write('\n');
    throw err;
  }
}

export function formatSummary(s: ImportSummary): string {
  const rows: [string, number][] = [
    ['added', s.added],
    ['updated', s.updated],
    ['disabled', s.disabled],
    ['unchanged', s.unchanged],
    ['errors', s.errors],
  ];
  const head = s.dryRun ? 'Dry run: nothing was written. The import would have' : 'Import finished';
  const lines = [`${head} (${s.seen} users read in ${(s.durationMs / 1000).toFixed(1)} s):`];
  for (const [name, n] of rows) lines.push(`  ${name.padEnd(10)}${String(n).padStart(8)}`);
  if (!s.swept) lines.push('  (limited to one base DN: users outside it were not checked, none disabled)');
  return `${lines.join('\n')}\n`;
}
