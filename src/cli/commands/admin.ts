/**
 * `factorgate admin token create --name N --role helpdesk|admin`, `admin token list`,
 * `admin token revoke NAME`: the admin API's bearer tokens (src/admin/api-tokens.ts). The new
 * token is written to standard output once, on its own line, and nowhere else (not logged, not
 * stored): the store keeps its HMAC.
 */
import { parseArgs } from 'node:util';
import { type CliContext, UsageError, loadCliConfig } from '../cli-context.js';
import { openStore } from '../../store/store.js';
import { SecretBox } from '../../store/secret-box.js';
import { secretKeysFor } from '../../keys/secret-keys.js';
import { pinDerivationRoot } from '../../keys/derivation-root.js';
import { systemClock } from '../../kit/clock.js';
import { API_TOKEN_KEY_PURPOSE, ApiTokens, type ApiTokenView } from '../../admin/api-tokens.js';
import { isConsoleRole, type ConsoleRole } from '../../admin/console/admin-roles.js';
import { storeOptions } from './users.js';
import { cliActor } from './users-admin.js';

export const usage = [
  `admin token create --name NAME --role helpdesk|admin [--config FILE]  prints a new admin API token once`,
  'admin token list [--json] [--config FILE]',
  'admin token revoke NAME [--config FILE]',
].join('\n  ');

function table(tokens: ApiTokenView[]): string {
  const cells = [['NAME', 'ROLE', 'CREATED', 'CREATED BY', 'LAST USED', 'REVOKED'], ...tokens.map((t) => [t.name, t.role, t.createdAt, t.createdBy, t.lastUsedAt ?? 'never', t.revokedAt ? `${t.revokedAt} by ${t.revokedBy ?? '?'}` : '-'])];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export async function run(ctx: CliContext): Promise<number> {
  const [group, sub, ...rest] = ctx.args;
  if (group !== 'token') throw new UsageError(`unknown admin command "${group ?? ''}"`);
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') throw new UsageError(`unknown admin token command "${sub ?? ''}"`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { config: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean', default: false } },
    allowPositionals: sub === 'revoke',
    strict: true,
  });
  if (sub === 'create') {
    if (!values.name) throw new UsageError('admin token create needs --name NAME');
    if (values.role === undefined || !isConsoleRole(values.role)) throw new UsageError(`admin token create needs --role helpdesk|admin`);
  }
  if (sub === 'revoke' && positionals.length !== 1) throw new UsageError('admin token revoke needs one token name');

  const loaded = await loadCliConfig(values.config);
  const config = loaded.host;
  const clock = systemClock;
  const keys = secretKeysFor(config);
  const store = await openStore(storeOptions(config));
  try {
    const box = new SecretBox(keys, clock);
    await pinDerivationRoot(store.db, box, keys, clock);
    const tokens = new ApiTokens(store.db, clock, box.deriveKey(API_TOKEN_KEY_PURPOSE));
    const actor = cliActor(ctx.env).name;
    if (sub === 'create') {
      const made = await tokens.create({ name: values.name!, role: values.role as ConsoleRole, createdBy: actor });
      ctx.stderr.write(`created ${made.view.role} token "${made.view.name}"; it is shown once, below (send it as "Authorization: Bearer <token>"):\n`);
      ctx.stdout.write(`${made.token}\n`);
      return 0;
    }
    if (sub === 'list') {
      const list = await tokens.list();
      ctx.stdout.write(values.json ? `${JSON.stringify(list, null, 2)}\n` : table(list));
      return 0;
    }
    const revoked = await tokens.revoke(positionals[0]!, actor);
    ctx.stdout.write(`revoked API token "${revoked.name}" (${revoked.role}); requests with it now get 401\n`);
    return 0;
  } finally {
    await store.close();
  }
}
