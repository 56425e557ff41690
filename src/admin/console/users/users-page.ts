/**
 * The console's users pages (`/admin/users`, role helpdesk): search and list, one user's page,
 * and for each action of `USER_ACTIONS` a confirm step (GET) and its post (CSRF, role, reason),
 * which redirects back to the user's page with a notice. A check that refuses the input (no
 * reason, minutes out of range, unknown serial, codes that do not follow) shows the confirm step
 * again with the refusal, 400; nothing is half-written (each `UserAdmin` call is one change).
 */
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../store/schema.js';
import type { Clock } from '../../../kit/clock.js';
import type { HostConfig } from '../../../config/schema.js';
import { FactorgateError } from '../../../kit/errors.js';
import { t } from '../../../kit/i18n.js';
import type { UserAdmin } from '../../user-admin.js';
import { searchUsers } from '../../user-search.js';
import { roleAllows } from '../admin-roles.js';
import type { ConsoleContext, ConsolePage } from '../console-page.js';
import { findAction, type ActionInput, type UserAction } from './user-actions.js';
import { searchForm, userListView } from './user-list-view.js';
import { userDetailView } from './user-detail-view.js';
import { confirmView } from './confirm-view.js';
import { USERS_PAGE, userPath } from './paths.js';
import { seeOther } from '../../../http/see-other.js';
import './users-messages.js';

export interface UsersPageDeps {
  db: Kysely<Database>;
  clock: Clock;
  userAdmin: UserAdmin;
  bypass: HostConfig['admin']['bypass'];
  logger: Logger;
}

const PAGE_SIZE = 25;
const MAX_FIELD = 500;

function text(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v.slice(0, MAX_FIELD) : '';
}

async function liveAppPasswords(db: Kysely<Database>, username: string): Promise<number> {
  const r = await db
    .selectFrom('app_passwords')
    .innerJoin('users', 'users.id', 'app_passwords.user_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('users.username', '=', username)
    .where('app_passwords.revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export function usersPage(deps: UsersPageDeps): ConsolePage {
  /** An action by name that this admin may take, or 404/403. */
  const allowed = (ctx: ConsoleContext, res: Response, name: string): UserAction => {
    const action = findAction(name);
    if (!action) throw new FactorgateError('NOT_FOUND', { detail: `no console action ${name}` });
    ctx.requireRole(res, action.role);
    return action;
  };

  /** The words the confirm step shows for the thing the action names. */
  const describe = async (username: string, action: UserAction, target: string, revealAddresses: boolean): Promise<Record<string, string>> => {
    const u = await deps.userAdmin.show(username, { revealAddresses });
    if (action.name === 'remove-method') {
      const m = u.methods.find((x) => x.id === target);
      if (!m) throw new FactorgateError('NOT_FOUND', { detail: `user ${username} has no method ${target}`, publicDetail: 'no such method' });
      return { method: [m.kind, m.label, m.address].filter(Boolean).join(' · ') };
    }
    if (action.name === 'unassign-token' || action.name === 'resync-token') {
      if (!u.tokens.some((k) => k.serial === target)) throw new FactorgateError('NOT_FOUND', { detail: `user ${username} holds no token ${target}`, publicDetail: 'no such token' });
      return { serial: target };
    }
    if (action.name === 'revoke-app-passwords') return { count: String(await liveAppPasswords(deps.db, u.username)) };
    if (action.name === 'resend-enrolment') return { to: u.email ?? '—' };
    return {};
  };

  return {
    path: USERS_PAGE,
    role: 'helpdesk',
    nav: 'admin.nav.users',
    home: (req, _res, ctx) => searchForm(ctx.locale(req), ''),
    routes(router, ctx) {
      router.get('/', async (req, res) => {
        const L = ctx.locale(req);
        const q = typeof req.query.q === 'string' ? req.query.q : '';
        const page = typeof req.query.page === 'string' && /^\d{1,6}$/.test(req.query.page) ? Number(req.query.page) : 0;
        const found = await searchUsers(deps.db, { query: q, page, pageSize: PAGE_SIZE, now: deps.clock.now() });
        ctx.render(req, res, 200, t(L, 'admin.users.title'), userListView(req, ctx, L, found));
      });

      router.get('/:username', async (req: Request<{ username: string }>, res) => {
        const L = ctx.locale(req);
        const admin = ctx.admin(res);
        const details = await deps.userAdmin.show(req.params.username, { revealAddresses: admin.role === 'admin' });
        const done = typeof req.query.done === 'string' && findAction(req.query.done) ? req.query.done : null;
        const appPasswords = await liveAppPasswords(deps.db, details.username);
        ctx.render(req, res, 200, details.displayName ?? details.username, userDetailView(req, ctx, L, details, { role: admin.role, appPasswords, done, canMail: deps.userAdmin.canMail }));
      });

      router.get('/:username/confirm/:action', async (req: Request<{ username: string; action: string }>, res) => {
        const L = ctx.locale(req);
        const action = allowed(ctx, res, req.params.action);
        const target = typeof req.query.target === 'string' ? req.query.target.slice(0, MAX_FIELD) : '';
        const vars = await describe(req.params.username, action, target, roleAllows(ctx.admin(res).role, 'admin'));
        const body = confirmView(req, res, ctx, L, { username: req.params.username, action, target, vars, maxMinutes: deps.bypass.maxMinutes, defaultMinutes: deps.bypass.defaultMinutes });
        ctx.render(req, res, 200, t(L, 'admin.confirm.title', { action: t(L, `admin.action.${action.name}`), user: req.params.username }), body);
      });

      router.post('/:username/do/:action', ctx.form, async (req: Request<{ username: string; action: string }>, res) => {
        ctx.checkCsrf(req);
        const action = allowed(ctx, res, req.params.action);
        const body = (req.body ?? {}) as Record<string, unknown>;
        const input: ActionInput = { reason: text(body, 'reason'), target: text(body, 'target'), minutes: text(body, 'minutes'), serial: text(body, 'serial'), code1: text(body, 'code1'), code2: text(body, 'code2') };
        const username = req.params.username;
        try {
          await action.run(deps.userAdmin, username, input, { name: `console:${ctx.admin(res).name}` });
        } catch (err) {
          if (!(err instanceof FactorgateError) || err.code !== 'BAD_REQUEST') throw err;
          deps.logger.info({ admin: ctx.admin(res).name, action: action.name, user: username, refused: err.detail }, 'admin console action refused');
          const L = ctx.locale(req);
          const vars = await describe(username, action, input.target, roleAllows(ctx.admin(res).role, 'admin'));
          // The codes are one-time secrets: never put back into the page.
          const typed = { reason: input.reason, minutes: input.minutes, serial: input.serial };
          const view = confirmView(req, res, ctx, L, { username, action, target: input.target, vars, maxMinutes: deps.bypass.maxMinutes, defaultMinutes: deps.bypass.defaultMinutes, error: err.publicDetail ?? t(L, 'error.BAD_REQUEST'), typed });
          ctx.render(req, res, 400, t(L, 'admin.confirm.title', { action: t(L, `admin.action.${action.name}`), user: username }), view);
          return;
        }
        seeOther(res, `${userPath(username)}?done=${action.name}`);
      });
    },
  };
}
