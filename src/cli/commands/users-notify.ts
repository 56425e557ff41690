/**
 * `factorgate users notify`: after an import, tell each user by mail how their second step will
 * work, as the seeds' server did: the hardware token or app they already hold, the number that
 * will receive codes or ring, the initial PIN in code + PIN mode, or the link to register an
 * authenticator app (enrolment/enrolment-plan.ts decides). `--all-new` mails only users never notified
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
import { createMailer, loadTemplates, type Mailer, type PinSealer } from '../../delivery/index.js';
import type { Database, UserRow } from '../../store/schema.js';
import { foldUsername } from '../../directory/directory.js';
import { emailFor } from '../../factors/email-factor.js';
import { createProgress, type Progress } from '../progress.js';
import { runBounded } from '../run-bounded.js';
import { planMail, type MailPlan } from '../../enrolment/enrolment-plan.js';
import { heldMethods, sendEnrolmentMail } from '../../enrolment/enrolment-mail.js';

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
  const { user, to, plan } = target;
  try {
    await sendEnrolmentMail(deps, mailer, user, to, plan);
  } catch (err) {
    tally.failed++;
    deps.err.write(`failed ${user.username}: ${(err as { detail?: string }).detail ?? (err as Error).message}\n`);
    progress.tick();
    return;
  }
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
