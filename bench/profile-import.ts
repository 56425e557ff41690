/**
 * Where a directory import's CPU goes, thread by thread, and an A/B of two builds on one slapd:
 * each run imports every user of a throwaway slapd into a fresh SQLite store (then, with
 * `--reimport`, once more into the same store, every user unchanged) and reports CPU per user
 * of the whole process, of its main thread (the store writes; `/proc/self/task/<pid>/stat`),
 * of the rest (the listing's worker thread, plus V8's helper threads), and of slapd itself
 * (`/proc/<slapd>/stat`), beside the wall rate and the process's peak RSS.
 *
 *   npx tsx bench/profile-import.ts --users 90000 [--dist dist,/tmp/old/dist] [--rounds 3] [--reimport]
 *
 * Builds named by `--dist` are alternated run by run (each a `dist/` folder of a build, with the
 * project's node_modules reachable from it). Add `node --cpu-prof` through NODE_OPTIONS for
 * profiles of both threads (one file per thread).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startSlapd } from '../test/support/slapd.js';
import { slapdDirectoryConfig } from '../test/support/ldap-directory-config.js';
import { statCpuMs } from './scenarios/cpu.js';

type StoreModule = typeof import('../src/store/store.js');
type ImportModule = typeof import('../src/directory/import-users.js');
type LdapModule = typeof import('../src/directory/ldap/ldap-directory.js');
type ConfigModule = typeof import('../src/directory/ldap/config.js');

interface Build {
  name: string;
  store: StoreModule;
  importer: ImportModule;
  ldap: LdapModule;
  config: ConfigModule;
}

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '90000' },
    dist: { type: 'string', default: 'dist' },
    rounds: { type: 'string', default: '1' },
    reimport: { type: 'boolean', default: false },
  },
});

async function load(dir: string): Promise<Build> {
  const root = isAbsolute(dir) ? dir : join(process.cwd(), dir);
  const from = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(root, path)).href)) as T;
  return {
    name: dir,
    store: await from<StoreModule>('src/store/store.js'),
    importer: await from<ImportModule>('src/directory/import-users.js'),
    ldap: await from<LdapModule>('src/directory/ldap/ldap-directory.js'),
    config: await from<ConfigModule>('src/directory/ldap/config.js'),
  };
}

const users = Number(values.users);
const builds = await Promise.all(values.dist.split(',').map(load));
const slapd = await startSlapd({ users });
const slapdStat = `/proc/${slapd.pid}/stat`;
const mainStat = `/proc/self/task/${process.pid}/stat`;

interface Figures {
  imported: number;
  usersPerSec: number;
  processUs: number;
  mainUs: number;
  workerUs: number;
  slapdUs: number;
}

async function timed(fn: () => Promise<number>): Promise<Figures> {
  const cpu0 = process.cpuUsage();
  const main0 = statCpuMs(mainStat);
  const slapd0 = statCpuMs(slapdStat);
  const t0 = performance.now();
  const n = await fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const processMs = (cpu.user + cpu.system) / 1000;
  const mainMs = statCpuMs(mainStat) - main0;
  const per = (ms: number): number => Math.round((ms * 1000 * 10) / n) / 10;
  return { imported: n, usersPerSec: Math.round(n / wall), processUs: per(processMs), mainUs: per(mainMs), workerUs: per(processMs - mainMs), slapdUs: per(statCpuMs(slapdStat) - slapd0) };
}

try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const b of builds) {
      const tmp = mkdtempSync(join(tmpdir(), 'factorgate-profile-import-'));
      const store = await b.store.openStore({ driver: 'sqlite', file: join(tmp, 'store.db') });
      const dir = b.ldap.LdapDirectory.fromConfig(b.config.ldapDirectoryConfigSchema.parse(slapdDirectoryConfig(slapd)));
      try {
        const once = async (): Promise<number> => {
          const s = await b.importer.importUsers({ directory: dir, db: store.db, pageSize: 500 });
          return s.seen;
        };
        const first = await timed(once);
        // An idle half second apart, so a profile shows the two imports as separate phases.
        const again = values.reimport ? await new Promise((r) => setTimeout(r, 500)).then(() => timed(once)) : undefined;
        const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
        console.log(
          JSON.stringify({ at: new Date().toISOString(), load, build: b.name, first, ...(again ? { reimport: again } : {}), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }),
        );
      } finally {
        await dir.close();
        await store.close();
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  }
} finally {
  await slapd.destroy();
}
