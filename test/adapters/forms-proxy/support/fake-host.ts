/**
 * A typed stand-in for the HostApi, used only for the parts of the host not yet landed (the
 * challenge engine): the store (SQLite, real migrations), secret box, clock and logger are
 * the real ones; users live in the real users table; the challenge engine is a small fake
 * that shows a page and accepts the code 123456, then calls the adapter's `resume`, as the
 * real engine will.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { ManualClock } from '../../../../src/host/clock.js';
import type { Directory, DirectoryUser } from '../../../../src/directory/directory.js';
import type { AuditInput, ChallengeOutcome, HostApi, UserRecord } from '../../../../src/host/host-api.js';
import { SecretBox } from '../../../../src/store/secret-box.js';
import { openStore, type Store } from '../../../../src/store/store.js';
import * as m007 from '../../../../src/store/migrations/007-forms-proxy.js';
import type { FormsProxyInstance } from '../../../../adapters/forms-proxy/index.js';
import { freePort } from '../../../support/free-port.js';

export interface FakeChallenge {
  id: string;
  user: UserRecord;
  continuation: unknown;
  relyingParty: string | undefined;
  expiresAt: number;
  state: 'pending' | 'done';
}

export interface FakeHost {
  api: HostApi;
  clock: ManualClock;
  logs: string[];
  audits: AuditInput[];
  challenges: Map<string, FakeChallenge>;
  store: Store;
  publicUrl: string;
  /** Starts the main listener with the adapter's routes and the fake challenge pages. */
  listen(instance: FormsProxyInstance): Promise<void>;
  close(): Promise<void>;
}

export const GOOD_CODE = '123456';
/** The fake engine's challenge lifetime. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

function toRecord(row: Record<string, unknown>): UserRecord {
  return {
    id: String(row.id),
    username: String(row.username),
    externalId: (row.external_id as string | null) ?? null,
    upn: null,
    displayName: (row.display_name as string | null) ?? null,
    givenName: null,
    surname: null,
    email: (row.email as string | null) ?? null,
    phone: null,
    mobile: null,
    disabled: row.disabled === 1,
  };
}

export async function createFakeHost(options: { directoryUsers: Record<string, string>; challengeTtlMs?: number; clock?: ManualClock }): Promise<FakeHost> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-fp-'));
  const store = await openStore({ driver: 'sqlite', file: join(dir, 'fg.db') });
  // Until 007 is registered in the host's list, the tests apply it here.
  const tables = await store.db.introspection.getTables();
  if (!tables.some((t) => t.name === 'forms_proxy_pending')) await m007.up(store.db as unknown as Kysely<unknown>);
  const clock = options.clock ?? new ManualClock(Date.now());
  const logs: string[] = [];
  const audits: AuditInput[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const challenges = new Map<string, FakeChallenge>();
  const db = store.db;

  const dirUser = (username: string): DirectoryUser | null =>
    username in options.directoryUsers ? { externalId: `ext-${username}`, username, disabled: false, email: `${username}@example.test` } : null;
  const directory: Directory = {
    kind: 'memory',
    async authenticate(username, password) {
      const u = dirUser(username);
      return u && options.directoryUsers[username] === password ? { ok: true, user: u } : { ok: false, reason: 'INVALID_CREDENTIALS' };
    },
    async find(username) {
      return dirUser(username);
    },
    async *list() {},
    async ping() {},
    async close() {},
  };

  const users: HostApi['users'] = {
    async findByUsername(username) {
      const row = await db.selectFrom('users').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
      return row ? toRecord(row as unknown as Record<string, unknown>) : null;
    },
    async findById(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row as unknown as Record<string, unknown>) : null;
    },
    async upsertFromDirectory(u, source) {
      const existing = await users.findByUsername(u.username);
      if (existing) return existing;
      const now = clock.now();
      await db
        .insertInto('users')
        .values({ id: randomUUID(), username: u.username.toLowerCase(), external_id: u.externalId, source, disabled: u.disabled ? 1 : 0, failed_attempts: 0, created_at: now, updated_at: now, email: u.email ?? null } as never)
        .execute();
      return (await users.findByUsername(u.username))!;
    },
  };

  let instance: FormsProxyInstance | null = null;
  const api: HostApi = {
    version: '1.0.0',
    config: { server: { host: '127.0.0.1', trustedProxies: [] } } as unknown as HostApi['config'],
    store,
    secrets: new SecretBox([{ id: 'k1', key: randomBytes(32) }]),
    directory,
    users,
    challenges: {
      async begin(input) {
        const id = randomBytes(12).toString('base64url');
        challenges.set(id, { id, user: input.user, continuation: input.continuation, relyingParty: input.relyingParty, expiresAt: clock.now() + (options.challengeTtlMs ?? CHALLENGE_TTL_MS), state: 'pending' });
        return { challengeId: id, redirectTo: `/mfa/${id}` };
      },
    },
    login: { begin: async () => '/login' },
    sessions: {} as HostApi['sessions'],
    audit: {
      async record(input) {
        audits.push(input);
      },
    },
    replay: { markUsed: async () => true },
    keys: {} as HostApi['keys'],
    pages: {
      error(_req, res, status, messageKey) {
        res.status(status).type('html').send(`<!doctype html><title>Error</title><h1>factorgate</h1><p class="error">${messageKey}</p>`);
      },
      locale: () => 'en',
      csrfToken: () => 'csrf',
      checkCsrf: () => undefined,
    },
    logger,
    clock,
    publicUrl,
  };

  let server: Server | null = null;
  return {
    api,
    clock,
    logs,
    audits,
    challenges,
    store,
    publicUrl,
    async listen(inst) {
      instance = inst;
      const app = express();
      const router = express.Router();
      inst.routes?.(router);
      app.use('/forms-proxy', router);
      app.get('/mfa/:id', (req, res) => {
        const c = challenges.get(req.params.id);
        if (!c) return void res.status(404).send('no such challenge');
        res.type('html').send(`<!doctype html><title>Verify</title><form method="post"><input name="code" id="code" autocomplete="one-time-code" inputmode="numeric"><button id="verify">Verify</button></form>`);
      });
      app.post('/mfa/:id', express.urlencoded({ extended: false }), async (req, res) => {
        const c = challenges.get(req.params.id);
        if (!c || c.state !== 'pending') return void res.status(409).send('challenge used');
        c.state = 'done';
        const base = { challengeId: c.id, user: c.user, continuation: c.continuation, relyingParty: c.relyingParty ?? null };
        let outcome: ChallengeOutcome;
        if (clock.now() > c.expiresAt) outcome = { ...base, result: 'denied', reason: 'CHALLENGE_EXPIRED' };
        else if ((req.body as { code?: string }).code === GOOD_CODE) outcome = { ...base, result: 'verified', methods: ['totp'], multiFactor: true, authnInstant: clock.now() };
        else outcome = { ...base, result: 'denied', reason: 'FACTOR_FAILED' };
        await instance!.resume(outcome, req, res);
      });
      server = await new Promise<Server>((resolve) => {
        const s = app.listen(port, '127.0.0.1', () => resolve(s));
      });
      void (server.address() as AddressInfo);
    },
    async close() {
      await instance?.close?.();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
