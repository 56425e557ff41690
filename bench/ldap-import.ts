/**
 * Directory import speed and memory: users imported per second from a throwaway slapd, against
 * `ldapsearch` fetching the same entries (same filter, attributes and page size) in the same
 * run, and the peak RSS during the import, which must not grow with the number of users.
 *
 *   npx tsx bench/ldap-import.ts --users 10000
 *   npx tsx bench/ldap-import.ts --users 2000,20000     (memory flatness across sizes)
 *   npx tsx bench/ldap-import.ts --users 100000 --batch 5000   (users per transaction; default: the import's own, 5,000)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSlapd } from '../test/support/slapd.js';
import { slapdDirectoryConfig } from '../test/support/ldap-directory-config.js';
import { rowAttributes } from '../src/directory/ldap/map-entry.js';
import { PRESETS } from '../src/directory/ldap/presets.js';
import { fromDist } from './support/dist.js';

// The import runs from the build, as `factorgate users import` does: the LDAP listing's worker
// thread then loads compiled JavaScript, not TypeScript through tsx (a second of start-up that
// no user pays).
const { openStore } = await fromDist<typeof import('../src/store/store.js')>('src/store/store.js');
const { importUsers } = await fromDist<typeof import('../src/directory/import-users.js')>('src/directory/import-users.js');
const { LdapDirectory } = await fromDist<typeof import('../src/directory/ldap/ldap-directory.js')>('src/directory/ldap/ldap-directory.js');
const { ldapDirectoryConfigSchema } = await fromDist<typeof import('../src/directory/ldap/config.js')>('src/directory/ldap/config.js');

export interface LdapImportBenchResult {
  users: number;
  imported: number;
  importUsersPerSec: number;
  ldapsearchUsersPerSec: number;
  /** import speed / ldapsearch speed (1.0 = as fast as the C client writing to /dev/null). */
  ratio: number;
  /** Highest RSS sampled during the import. */
  peakRssMb: number;
  /** Peak RSS minus RSS just before the import. */
  rssGrowthMb: number;
  /** With `node --expose-gc`: growth of the live (collected) heap during the import. */
  liveHeapGrowthMb?: number;
}

const mb = (b: number): number => Math.round((b / 1048576) * 10) / 10;

function ldapsearch(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/ldapsearch', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let entries = 0;
    let tail = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      const text = tail + d.toString('latin1');
      const lines = text.split('\n');
      tail = lines.pop()!;
      for (const l of lines) if (l.startsWith('dn:')) entries++;
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(entries) : reject(new Error(`ldapsearch exited ${code}: ${err}`))));
  });
}

export async function runLdapImportBench({ users, batchSize }: { users: number; batchSize?: number }): Promise<LdapImportBenchResult> {
  const slapd = await startSlapd({ users });
  const tmp = mkdtempSync(join(tmpdir(), 'factorgate-bench-'));
  const store = await openStore({ driver: 'sqlite', file: join(tmp, 'store.db') });
  const dir = LdapDirectory.fromConfig(ldapDirectoryConfigSchema.parse(slapdDirectoryConfig(slapd)));
  try {
    const cfg = slapdDirectoryConfig(slapd);
    const filter = `(&${cfg.userFilter}${cfg.groupFilter})`;
    // The attributes the import's listing requests (a store row's), so both read the same.
    const attrs = rowAttributes(PRESETS.activeDirectory.attributes);
    const t0 = performance.now();
    const fetched = await ldapsearch([
      '-x', '-LLL', '-H', slapd.url, '-D', slapd.bindDn, '-w', slapd.bindPassword, '-b', cfg.baseDns![0]!,
      '-E', 'pr=500/noprompt', filter, ...attrs,
    ]);
    const ldapsearchSecs = (performance.now() - t0) / 1000;

    (globalThis as { gc?: () => void }).gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const t1 = performance.now();
    const gc = (globalThis as { gc?: () => void }).gc;
    const heapBase = gc ? (gc(), process.memoryUsage().heapUsed) : 0;
    let heapPeak = heapBase;
    const summary = await importUsers({
      directory: dir,
      db: store.db,
      pageSize: 500,
      batchSize,
      // With --expose-gc: the live heap after each batch, garbage excluded.
      onProgress: gc
        ? () => {
            gc();
            heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
          }
        : undefined,
    });
    const importSecs = (performance.now() - t1) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    if (summary.added !== fetched) throw new Error(`import added ${summary.added}, ldapsearch fetched ${fetched}`);
    const importUsersPerSec = Math.round(summary.added / importSecs);
    const ldapsearchUsersPerSec = Math.round(fetched / ldapsearchSecs);
    return {
      users,
      imported: summary.added,
      importUsersPerSec,
      ldapsearchUsersPerSec,
      ratio: Math.round((importUsersPerSec / ldapsearchUsersPerSec) * 100) / 100,
      peakRssMb: mb(peak),
      rssGrowthMb: mb(peak - baseline),
      ...(gc ? { liveHeapGrowthMb: mb(heapPeak - heapBase) } : {}),
    };
  } finally {
    await dir.close();
    await store.close();
    await slapd.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--users');
  const sizes = (i > 0 ? process.argv[i + 1]! : '10000').split(',').map(Number);
  const b = process.argv.indexOf('--batch');
  const batchSize = b > 0 ? Number(process.argv[b + 1]) : undefined;
  for (const users of sizes) {
    console.log(JSON.stringify(await runLdapImportBench({ users, batchSize })));
  }
}
