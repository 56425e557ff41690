/**
 * `factorgate users notify`: after an import, tell each user by mail how their second step will
 * work, as the seeds' server did: the hardware token or app they already hold, the number that
 * will receive codes or ring, the initial PIN in code + PIN mode, or the link to register an
 * authenticator app (notify/plan-mail.ts decides). `--all-new` mails only users never notified
 * (remembered in `user_notifications`), so running it after every import mails each user once;
 * `--user NAME` mails one user again; `--dry-run` prints who would get which mail and sends,
 * draws and stores nothing.
 *
 * Mails go over a pool of `delivery.smtp.maxConnections` connections with twice as many mails in
 * flight, instead of one connection (connect, greeting, EHLO, STARTTLS, AUTH) per mail; long runs
 * print their progress with the time left.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Clock } from '../../kit/clock.js';
import type { HostConfig } from '../../config/schema.js';
import { UsageError } from '../cli-context.js';
import { createMailer, generatePin, hashPin, loadTemplates, type EnrolledVars, type Mailer, type PinSealer } from '../../delivery/index.js';
import type { Database, UserRow } from '../../store/schema.js';
import { foldUsername } from '../../directory/directory.js';
import { emailFor } from '../../factors/email-factor.js';
import { createProgress, type Progress } from '../progress.js';
import { runBounded } from '../run-bounded.js';
import { planMail, type MailPlan } from './notify/plan-mail.js';

export interface NotifyDeps {
  db: Kysely<Database>;
  config: HostConfig;
  clock: Clock;
  /** Seals the PIN hashes it stores (the host's key ring: `secretBoxFor`). */
  secrets: PinSealer;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export interface NotifyOptions {
  /** One user by name (mailed again), or null for every enabled user never notified. */
  username: string | null;
  dryRun?: boolean | undefined;
}

interface Target {
  user: UserRow;
  to: string;
  plan: MailPlan;
}

interface Tally {
  sent: number;
  failed: number;
}

async function selectUsers(db: Kysely<Database>, username: string | null): Promise<UserRow[]> {
  if (username !== null) {
    const users = await db.selectFrom('users').selectAll().where('username', '=', foldUsername(username)).execute();
    if (users.length === 0) throw new UsageError(`no user "${username}"`);
    return users;
  }
  return db
    .selectFrom('users')
    .selectAll()
    .where('disabled', '=', 0)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('user_notifications').select('user_id').whereRef('user_notifications.user_id', '=', 'users.id').where('event', '=', 'enrolled'))),
    )
    .orderBy('username')
    .execute();
}

/** The kinds of confirmed methods each user holds, for the methods that decide the mail. */
async function heldMethods(db: Kysely<Database>, userIds: readonly string[]): Promise<Map<string, Set<string>>> {
  const held = new Map<string, Set<string>>();
  // In slices: SQLite allows a bounded number of bound parameters per statement.
  for (let i = 0; i < userIds.length; i += 500) {
    const rows = await db
      .selectFrom('factors')
      .select(['user_id', 'kind'])
      .where('confirmed', '=', 1)
      .where('kind', 'in', ['oath', 'totp'])
      .where('user_id', 'in', userIds.slice(i, i + 500))
      .execute();
    for (const r of rows) {
      let set = held.get(r.user_id);
      if (!set) held.set(r.user_id, (set = new Set()));
      set.add(r.kind);
    }
  }
  return held;
}

async function planTargets(deps: NotifyDeps, users: UserRow[]): Promise<Target[]> {
  const held = await heldMethods(deps.db, users.map((u) => u.id));
  const targets: Target[] = [];
  for (const user of users) {
    const to = emailFor(user.email);
    if (!to) {
      deps.err.write(`skipped ${user.username}: no email address\n`);
      continue;
    }
    targets.push({ user, to, plan: planMail(user, held.get(user.id) ?? new Set(), deps.config) });
  }
  return targets;
}

/** Sends one user's mail, then records it (and the PIN's hash, once its mail has left). */
async function notifyOne(deps: NotifyDeps, mailer: Mailer, target: Target, tally: Tally, progress: Progress): Promise<void> {
  const { db, config } = deps;
  const { user, to, plan } = target;
  // NIST SP 800-63B §5.1.1.2: a memorized secret chosen by the CSP is random; this one is drawn
  // from the CSPRNG and stored only as a peppered Argon2id hash.
  const pin = plan.method === 'pin' ? generatePin(6) : null;
  const vars = { ...plan, ...(pin === null ? {} : { pin }), displayName: user.display_name ?? user.username, productName: config.branding.productName } as EnrolledVars;
  try {
    await mailer.sendTemplate('enrolled', config.branding.defaultLocale, vars, user.display_name ? { name: user.display_name, address: to } : to);
  } catch (err) {
    tally.failed++;
    deps.err.write(`failed ${user.username}: ${(err as { detail?: string }).detail ?? (err as Error).message}\n`);
    progress.tick();
    return;
  }
  const now = deps.clock.now();
  // The PIN is stored only once its mail has left, so a user never holds a PIN nobody told them.
  if (pin !== null) {
    const pinHash = await hashPin(pin, deps.secrets, user.id);
    await db
      .insertInto('user_pins')
      .values({ user_id: user.id, pin_hash: pinHash, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ pin_hash: pinHash, updated_at: now }))
      .execute();
  }
  await db
    .insertInto('user_notifications')
    .values({ user_id: user.id, event: 'enrolled', method: plan.method, sent_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'event']).doUpdateSet({ method: plan.method, sent_at: now }))
    .execute();
  tally.sent++;
  deps.out.write(`notified ${user.username} (${plan.method})\n`);
  progress.tick();
}

export async function notifyUsers(deps: NotifyDeps, opts: NotifyOptions): Promise<number> {
  const { config } = deps;
  const smtp = config.delivery?.smtp;
  if (!smtp) throw new UsageError('users notify needs delivery.smtp in the configuration');
  const base = config.configFile ? resolve(config.configFile, '..') : process.cwd();
  const dir = config.delivery?.templatesDir;
  const templates = loadTemplates({ templatesDir: dir && (isAbsolute(dir) ? dir : resolve(base, dir)) });

  const targets = await planTargets(deps, await selectUsers(deps.db, opts.username));
  if (opts.dryRun) {
    for (const t of targets) deps.out.write(`would notify ${t.user.username} (${t.plan.method})\n`);
    deps.out.write(`${targets.length} would be notified (dry run: nothing sent or stored)\n`);
    return 0;
  }

  const mailer = createMailer(smtp, { templates, pooled: true });
  const tally: Tally = { sent: 0, failed: 0 };
  const progress = createProgress({ total: targets.length, unit: 'mails', out: deps.err, clock: deps.clock });
  try {
    await runBounded(targets, smtp.maxConnections * 2, (t) => notifyOne(deps, mailer, t, tally, progress));
  } finally {
    mailer.close();
  }
  deps.out.write(`${tally.sent} notified, ${tally.failed} failed\n`);
  return tally.failed > 0 ? 1 : 0;
}
