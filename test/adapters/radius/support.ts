/**
 * A factorgate host running the RADIUS adapter on a free UDP port, and `radclient`
 * (freeradius-utils) as the real client: attributes in, the reply's code and attributes out.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { startHost, type HarnessOptions, type RunningHost, type TestUser, DEFAULT_USERS } from '../../support/host-harness.js';
import { radiusAdapter } from '../../../adapters/radius/index.js';
import { totpSecretContext } from '../../../src/factors/totp-factor.js';
import type { UserRecord } from '../../../src/api/host-api.js';

export const SECRET = 'vpn-shared-secret-0123456789';

export interface RadiusHost extends RunningHost {
  port: number;
}

/** The `adapters.radius` section: one client on loopback, with overrides. */
export function radiusSection(client: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    clients: [{ name: 'vpn', addresses: ['127.0.0.1'], secret: SECRET, ...client }],
    ...extra,
  };
}

export async function startRadiusHost(options: HarnessOptions & { radius?: Record<string, unknown> } = {}): Promise<RadiusHost> {
  const { radius, config, ...rest } = options;
  const h = await startHost({
    ...rest,
    adapters: [radiusAdapter],
    config: {
      // SMS codes go to the log (the console provider the delivery tests use).
      factors: { sms: {} },
      delivery: { sms: { type: 'console', revealCodes: true } },
      challenge: { enrolmentPolicy: 'deny' },
      ...config,
      adapters: { radius: radius ?? radiusSection() },
    },
  });
  const line = h.logs.find((l) => l.includes('RADIUS listening (UDP)'));
  const port = Number(/"listen":"[^"]*:(\d+)"/.exec(line ?? '')?.[1]);
  if (!port) throw new Error('the RADIUS adapter did not report its port');
  return { ...h, port };
}

export interface RadiusReply {
  code: 'Access-Accept' | 'Access-Reject' | 'Access-Challenge' | 'none';
  attributes: Record<string, string>;
  output: string;
}

/** One request with radclient (`-x`: it prints what it sent and received). */
export async function radclient(port: number, attributes: Record<string, string>, opts: { secret?: string; retries?: number; timeout?: number; extraArgs?: string[] } = {}): Promise<RadiusReply> {
  const input = Object.entries(attributes)
    .map(([k, v]) => `${k} = ${v.startsWith('0x') ? v : JSON.stringify(v)}`)
    .join('\n');
  // Retransmissions (same identifier and authenticator) are answered from the duplicate cache, so
  // a slow answer on a loaded machine costs time, not a wrong result.
  const args = ['-x', '-r', String(opts.retries ?? 3), '-t', String(opts.timeout ?? 4), ...(opts.extraArgs ?? []), `127.0.0.1:${port}`, 'auth', opts.secret ?? SECRET];
  const output = await run('radclient', args, input);
  return parseReply(output);
}

export function parseReply(output: string): RadiusReply {
  const m = /Received (Access-Accept|Access-Reject|Access-Challenge) Id \d+[^\n]*\n((?:\t[^\n]*\n?)*)/.exec(output);
  if (!m) return { code: 'none', attributes: {}, output };
  const attributes: Record<string, string> = {};
  for (const line of m[2]!.split('\n')) {
    const a = /^\t([\w-]+) = (.*)$/.exec(line);
    if (a) attributes[a[1]!] = a[2]!.replace(/^"(.*)"$/, '$1');
  }
  return { code: m[1] as RadiusReply['code'], attributes, output };
}

export function run(cmd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin.end(input);
  });
}

/** Signs a user in once through the directory so the store knows them, and gives them a TOTP method. */
export async function enrolTotp(h: RunningHost, username: string, secret: Buffer): Promise<UserRecord> {
  const api = h.host.api;
  const entry = await api.directory.find(username);
  if (!entry) throw new Error(`no directory user ${username}`);
  const user = await api.users.upsertFromDirectory(entry, api.directory.kind);
  const id = randomUUID();
  await api.store.db
    .insertInto('factors')
    .values({
      id,
      user_id: user.id,
      kind: 'totp',
      label: null,
      secret_enc: api.secrets.encrypt(secret, totpSecretContext(id)),
      params: JSON.stringify({ algorithm: 'SHA1', digits: 6, period: 30 }),
      is_default: 1,
      confirmed: 1,
      last_used_step: null,
      created_at: api.clock.now(),
      last_used_at: null,
    })
    .execute();
  return user;
}

/** The SMS code the console provider revealed in the log for this number, the latest first. */
export function revealedCodes(h: RunningHost): string[] {
  return h.logs
    .map((l) => /"demoRevealedCode":"(\d+)"/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined)
    .reverse();
}

export const USERS: TestUser[] = [
  ...DEFAULT_USERS,
  { username: 'dave', password: 'dave-password-1', displayName: 'Dave Totp' },
  { username: 'erin', password: 'erin-password-1', displayName: 'Erin Sms', phone: '+33612345679' },
];

/** Sends one datagram from a fresh socket and waits for one reply (null after `timeoutMs`). */
export async function sendRaw(port: number, packet: Buffer, timeoutMs = 2000): Promise<Buffer | null> {
  const { createSocket } = await import('node:dgram');
  const socket = createSocket('udp4');
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      socket.send(packet, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
