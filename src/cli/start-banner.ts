/**
 * What `factorgate start` prints once it listens: the pages to open, at the configured public
 * origins (`server.publicUrl`, each adapter's own public URL), never the address the listener is
 * bound to. A session cookie belongs to one origin: a page opened at 127.0.0.1 cannot finish a
 * sign-in that the configuration sends back to localhost.
 */
import type { DemoCredential } from '../host/bootstrap/demo-users.js';
import type { AdapterLink } from '../api/host-api.js';

export interface BannerInput {
  /** `server.publicUrl`, without a trailing slash. */
  publicUrl: string;
  /** The bound address (`http://127.0.0.1:8080`), shown only as where it listens. */
  listening: string;
  links: readonly AdapterLink[];
  demo: boolean;
  /** Passwords created at this start (shown once), else empty. */
  demoCredentials: readonly DemoCredential[];
  /** The demo users file, when the directory is one. */
  demoUsersFile: string | null;
  /** The processes serving (`server.workers`); omitted: not shown. */
  workers?: { count: number; pids: readonly number[] };
}

function table(rows: ReadonlyArray<readonly [string, string]>, indent: string): string[] {
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `${indent}${`${label}:`.padEnd(width)} ${value}`);
}

export function startBanner(input: BannerInput): string[] {
  const base = input.publicUrl;
  const rows: Array<readonly [string, string]> = [
    ['sign in', `${base}/login`],
    ['your account', `${base}/portal`],
    ['health', `${base}/healthz  ${base}/readyz`],
  ];
  if (input.workers) {
    const { count, pids } = input.workers;
    rows.push(['workers', count === 1 ? `1 process (pid ${pids.join(', ')}; server.workers adds more)` : `${count} processes on one port (pids ${pids.join(', ')}; SIGHUP restarts them one by one)`]);
  }
  const notes = new Map<number, string>();
  for (const link of input.links) {
    rows.push([link.label, link.url]);
    if (link.note) notes.set(rows.length - 1, link.note);
  }
  const lines = [`factorgate is running at ${base} (listening on ${input.listening.replace(/^https?:\/\//, '')})`];
  table(rows, '  ').forEach((line, i) => {
    lines.push(line);
    const note = notes.get(i);
    if (note) lines.push(`    (${note})`);
  });

  if (input.demoCredentials.length > 0) {
    const width = Math.max(...input.demoCredentials.map((c) => c.username.length)) + 1;
    lines.push('', `Demo users (passwords shown once; stored only as hashes in ${input.demoUsersFile ?? 'the directory'}):`);
    for (const c of input.demoCredentials) lines.push(`  ${c.username.padEnd(width)} ${c.password}   ${c.shows}`);
  } else if (input.demo) {
    lines.push('', 'Demo users: their passwords were printed at the first start. To set a new one:', `  npx factorgate users hash-password  and paste the hash into ${input.demoUsersFile ?? 'the users file'}`);
  }
  return lines;
}
